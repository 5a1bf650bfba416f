// The message a notification carries, rendered once per matched event.
#pragma once

#include <string>

#include "herald/notification.hpp"

namespace herald::detail {

/// The message of `notification` (whose payload is not read) in `format`. Carries names,
/// types, versions and times only.
[[nodiscard]] std::string render_message(const Notification& notification, MessageFormat format);

/// `text` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);

/// RFC 3339 UTC with milliseconds, e.g. "2020-02-12T11:39:40.000Z".
[[nodiscard]] std::string rfc3339(TimePoint time);

}  // namespace herald::detail
