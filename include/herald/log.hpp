// herald::LogFunction: how the library reports what no caller can be told, for instance a final
// status the store refused to write after the delivery was made. herald never prints: a host
// connects its own logger through Options::log.
//
// Thread-safety: the function is called from any thread that runs engine work (triggers,
// delivery workers, run_due), possibly at the same time; it must be safe for that, return
// quickly, and not call back into the Engine. Messages name no secret value or token.
#pragma once

#include <functional>
#include <string_view>

namespace herald {

enum class LogLevel { debug, info, warning, error };

/// `message` is valid only during the call.
using LogFunction = std::function<void(LogLevel level, std::string_view message)>;

}  // namespace herald
