// ServerLog on spdlog: the only translation unit of the server that includes it.
#include "server_log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <fmt/chrono.h>
#include <array>
#include <vector>

namespace herald::server {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return spdlog::level::debug;
    case LogLevel::info: return spdlog::level::info;
    case LogLevel::warning: return spdlog::level::warn;
    case LogLevel::error: return spdlog::level::err;
  }
  return spdlog::level::err;
}

constexpr std::array<std::pair<std::string_view, spdlog::level::level_enum>, 5> k_levels = {{
    {"debug", spdlog::level::debug},
    {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},
    {"error", spdlog::level::err},
    {"off", spdlog::level::off},
}};

// `text` as a JSON string, quotes included; control and non-ASCII bytes escaped, so that a line
// stays one line whatever a client sent.
void append_quoted(std::string& out, std::string_view text) {
  static constexpr char k_hex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || u >= 0x7f) {
      out += {'\\', 'u', '0', '0', k_hex[u >> 4], k_hex[u & 15]};
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

// logfmt leaves a plain word unquoted.
bool plain_word(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '=' || c == '\\') return false;
  }
  return true;
}

}  // namespace

struct ServerLog::Impl {
  LogFormat format;
  std::shared_ptr<spdlog::logger> logger;
};

bool ServerLog::valid_level(std::string_view text) {
  for (const auto& [name, level] : k_levels) {
    if (name == text) return true;
  }
  return false;
}

std::optional<LogFormat> ServerLog::parse_format(std::string_view text) {
  if (text == "text") return LogFormat::text;
  if (text == "json") return LogFormat::json;
  return std::nullopt;
}

ServerLog::ServerLog(LogFormat format, std::string_view level) : impl_(std::make_unique<Impl>()) {
  impl_->format = format;
  impl_->logger = std::make_shared<spdlog::logger>(
      "herald-server", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  for (const auto& [name, value] : k_levels) {
    if (name == level) impl_->logger->set_level(value);
  }
  // The time in UTC with milliseconds; the rest of the line is ours.
  impl_->logger->set_pattern(format == LogFormat::json ? "%v" : "%Y-%m-%dT%H:%M:%S.%eZ %l %v",
                             spdlog::pattern_time_type::utc);
  impl_->logger->flush_on(spdlog::level::debug);
}

ServerLog::~ServerLog() = default;

bool ServerLog::enabled(LogLevel level) const {
  return impl_->logger->should_log(to_spdlog(level));
}

void ServerLog::write(LogLevel level, std::string_view message,
                      std::span<const herald::LogField> fields) {
  if (!enabled(level)) return;
  std::vector<LogField> ours;
  ours.reserve(fields.size());
  for (const auto& field : fields) ours.push_back({field.key, field.value});
  write_fields(level, message, ours);
}

void ServerLog::write(LogLevel level, std::string_view message,
                      std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  write_fields(level, message, std::span<const LogField>(fields.begin(), fields.size()));
}

void ServerLog::write_fields(LogLevel level, std::string_view message,
                             std::span<const LogField> fields) {
  std::string line;
  const auto append_value = [&](const LogField& field) {
    if (const auto* text = std::get_if<std::string_view>(&field.value)) {
      if (impl_->format == LogFormat::text && plain_word(*text)) {
        line += *text;
      } else {
        append_quoted(line, *text);
      }
    } else if (const auto* whole = std::get_if<std::int64_t>(&field.value)) {
      line += std::to_string(*whole);
    } else {
      line += fmt::format("{:.3f}", std::get<double>(field.value));
    }
  };
  if (impl_->format == LogFormat::json) {
    // UTC with milliseconds, as the text lines.
    const auto now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const auto seconds = std::chrono::floor<std::chrono::seconds>(now);
    line += fmt::format(R"({{"time":"{:%Y-%m-%dT%H:%M:%S}.{:03}Z","level":)", seconds,
                        (now - seconds).count());
    const auto name = spdlog::level::to_string_view(to_spdlog(level));
    append_quoted(line, std::string_view(name.data(), name.size()));
    line += R"(,"msg":)";
    append_quoted(line, message);
    for (const auto& field : fields) {
      line.push_back(',');
      append_quoted(line, field.key);
      line.push_back(':');
      append_value(field);
    }
    line.push_back('}');
  } else {
    append_quoted(line, message);
    for (const auto& field : fields) {
      line.push_back(' ');
      line += field.key;
      line.push_back('=');
      append_value(field);
    }
  }
  impl_->logger->log(to_spdlog(level), line);
}

}  // namespace herald::server
