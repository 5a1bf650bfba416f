#include "model/message.hpp"

#include <fmt/format.h>

#include <charconv>

namespace herald::detail {

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  // Names, types and ids need no escaping: copy runs of plain characters whole.
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool plain = c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
    if (plain) continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
    }
  }
  out.append(text.data() + run, text.size() - run);
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

// `,"key":` then the value as a JSON string. Keys are literals that need no escaping.
void append_field(std::string& out, std::string_view key, std::string_view value) {
  if (out.back() != '{') out.push_back(',');
  out.push_back('"');
  out.append(key);
  out.append("\":", 2);
  append_json_string(out, value);
}

std::string herald_json(const Notification& n) {
  std::string out;
  out.reserve(320 + n.event_name.size() + n.secret_name.size() + n.project_id.size());
  out.push_back('{');
  append_field(out, "notification_id", n.notification_id);
  append_field(out, "event_name", n.event_name);
  append_field(out, "event_id", n.event_id);
  append_field(out, "trigger_event_type", to_string(n.trigger_event_type));
  append_field(out, "project_id", n.project_id);
  append_field(out, "secret_name", n.secret_name);
  append_field(out, "secret_type", to_string(n.secret_type));
  if (n.version_id) append_field(out, "version_id", *n.version_id);
  out.append(",\"trigger_time\":");
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, to_epoch_ms(n.trigger_time));
  out.append(digits, end);
  out.push_back('}');
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
