// herald::LogFunction: how the library reports what no caller can be told, for instance a final
// status the store refused to write after the delivery was made. herald never prints: a host
// connects its own logger through Options::log.
//
// Thread-safety: the function is called from any thread that runs engine work (triggers,
// delivery workers, run_due), possibly at the same time; it must be safe for that, return
// quickly, and not call back into the Engine. Messages name no secret value or token.
#pragma once

#include <functional>
#include <span>
#include <string_view>

namespace herald {

enum class LogLevel { debug, info, warning, error };

/// One field of a log event, e.g. {"notification_id", "…"}: fixed keys, values that name no
/// secret value or token.
struct LogField {
  std::string_view key;
  std::string_view value;
};

/// `message` and `fields` are valid only during the call. The message says what happened for
/// people; the fields carry the same facts for machines (a host may log either or both).
using LogFunction =
    std::function<void(LogLevel level, std::string_view message, std::span<const LogField> fields)>;

}  // namespace herald
