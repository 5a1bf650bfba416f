#include "dispatch/message.hpp"

#include <fmt/format.h>

namespace herald::detail {

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

std::string rfc3339(TimePoint time) {
  const auto day = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss clock{time - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count(),
                     clock.subseconds().count());
}

namespace {

void append_field(std::string& out, std::string_view key, std::string_view value) {
  if (out.back() != '{') out.push_back(',');
  append_json_string(out, key);
  out.push_back(':');
  append_json_string(out, value);
}

std::string herald_json(const Notification& n) {
  std::string out;
  out.reserve(384);
  out.push_back('{');
  append_field(out, "notification_id", n.notification_id);
  append_field(out, "event_name", n.event_name);
  append_field(out, "event_id", n.event_id);
  append_field(out, "trigger_event_type", to_string(n.trigger_event_type));
  append_field(out, "project_id", n.project_id);
  append_field(out, "secret_name", n.secret_name);
  append_field(out, "secret_type", to_string(n.secret_type));
  if (n.version_id) append_field(out, "version_id", *n.version_id);
  fmt::format_to(std::back_inserter(out), ",\"trigger_time\":{}}}", to_epoch_ms(n.trigger_time));
  return out;
}

}  // namespace

std::string render_message(const Notification& notification, MessageFormat format) {
  if (format == MessageFormat::herald_json) return herald_json(notification);
  std::string out;
  out.reserve(640);
  out.push_back('{');
  append_field(out, "specversion", "1.0");
  append_field(out, "id", notification.notification_id);
  append_field(
      out, "source",
      fmt::format("/v1/{}/csms/events/{}", notification.project_id, notification.event_name));
  append_field(out, "type",
               fmt::format("herald.csms.{}", to_string(notification.trigger_event_type)));
  append_field(out, "subject", notification.secret_name);
  append_field(out, "time", rfc3339(notification.trigger_time));
  append_field(out, "datacontenttype", "application/json");
  out += ",\"data\":";
  out += herald_json(notification);
  out.push_back('}');
  return out;
}

}  // namespace herald::detail
