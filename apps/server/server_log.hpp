// herald-server's log: one line per event on stderr, as text (logfmt: key=value, values quoted
// when they need it) or JSON (one object per line), through spdlog. Fields are written by the
// server's own code only: no token, signature, SK or body is ever given to it.
//
// Thread-safety: safe for concurrent use (spdlog's mutexed stderr sink).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "herald/error.hpp"
#include "herald/log.hpp"

namespace herald::server {

enum class LogFormat { text, json };

/// One field of a line: a key (a fixed word of the server's) and a string or number.
struct LogField {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, double> value;
};

class ServerLog {
 public:
  /// Writes lines at `level` and above (debug < info < warn < error; off writes none).
  /// Requires: valid_level(level).
  ServerLog(LogFormat format, std::string_view level);
  ~ServerLog();
  ServerLog(const ServerLog&) = delete;
  ServerLog& operator=(const ServerLog&) = delete;

  /// Whether `text` names a level: "debug", "info", "warn", "error" or "off".
  static bool valid_level(std::string_view text);
  /// "text" or "json"; nullopt otherwise.
  static std::optional<LogFormat> parse_format(std::string_view text);

  [[nodiscard]] bool enabled(LogLevel level) const;
  /// Writes one line: time, level, `message`, then `fields` in order.
  void write(LogLevel level, std::string_view message, std::initializer_list<LogField> fields);
  /// The engine's fields (herald::LogFunction), all strings.
  void write(LogLevel level, std::string_view message, std::span<const herald::LogField> fields);

 private:
  void write_fields(LogLevel level, std::string_view message, std::span<const LogField> fields);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::server
