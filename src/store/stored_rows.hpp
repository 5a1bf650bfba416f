// What the SQL stores (SQLite, PostgreSQL) read back, decoded and checked the same way: a row is
// anything with text(i), view(i), integer(i) and is_null(i). Whatever a database holds must meet
// the contract as if it had come through the API; what does not is named through `damaged`.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/clock.hpp"
#include "herald/error.hpp"
#include "herald/event.hpp"
#include "herald/notification.hpp"
#include "herald/store.hpp"
#include "validate/validate.hpp"

namespace herald::stored_rows {

/// The event types as stored: their names, comma-separated.
inline std::string join_types(const std::vector<EventType>& types) {
  std::string out;
  for (const auto type : types) {
    if (!out.empty()) out.push_back(',');
    out += to_string(type);
  }
  return out;
}

/// An event from the columns project_id, name, event_id, event_types, state, create_time,
/// update_time, target_type, target_id, target_name (in that order, from column 0).
template <typename Row, typename Damaged>
Result<Event> event_of(const Row& row, const Damaged& damaged) {
  Event event;
  event.name = row.text(1);
  event.event_id = row.text(2);
  const std::string types = row.text(3);
  for (std::string_view rest = types; !rest.empty();) {
    const auto comma = rest.find(',');
    const auto type = parse_event_type(rest.substr(0, comma));
    if (!type) return damaged(fmt::format("event {} has an unknown event type", event.name));
    event.event_types.push_back(*type);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  const auto state = parse_event_state(row.text(4));
  if (!state) return damaged(fmt::format("event {} has an unknown state", event.name));
  event.state = *state;
  event.create_time = from_epoch_ms(row.integer(5));
  event.update_time = from_epoch_ms(row.integer(6));
  event.notification = {row.text(7), row.text(8), row.text(9)};
  EventSpec spec{event.name, event.event_types, event.state, event.notification};
  if (auto r = validate::event_spec(spec); !r) {
    return damaged(fmt::format("event {}: {}", event.name, r.error().message()));
  }
  return event;
}

/// The columns a notification is read from (notification_of), in its order.
inline constexpr std::string_view k_record_columns =
    "SELECT notification_id, project_id, event_name, event_id, trigger_event_type, secret_name,"
    " secret_type, version_id, trigger_time, target_type, target_id, target_name, content";

/// The notification of a row selected with k_record_columns.
template <typename Row, typename Damaged>
Result<std::shared_ptr<const Notification>> notification_of(const Row& row,
                                                            const Damaged& damaged) {
  const auto type = parse_event_type(row.view(4));
  const auto secret_type = parse_secret_type(row.view(6));
  if (!type || !secret_type) {
    return damaged(fmt::format("record {} has an unknown type", row.view(0)));
  }
  return make_notification(NotificationFields{
      .notification_id = row.view(0),
      .project_id = row.view(1),
      .event_name = row.view(2),
      .event_id = row.view(3),
      .trigger_event_type = *type,
      .secret_name = row.view(5),
      .secret_type = *secret_type,
      .version_id = row.is_null(7) ? std::nullopt : std::optional<std::string_view>(row.view(7)),
      .trigger_time = from_epoch_ms(row.integer(8)),
      .target = {row.view(9), row.view(10), row.view(11)},
      .message = row.view(12)});
}

/// The columns a push is read from (push_of), in its order, after SELECT.
inline constexpr std::string_view k_push_columns =
    "message_id, project_id, topic_name, subscription_id, message, subject, timestamp, status,"
    " attempts, last_http_status, last_error, next_attempt_time";

/// The push of a row selected with k_push_columns.
template <typename Row>
StoredPush push_of(const Row& row) {
  StoredPush p{row.text(0),    row.text(1),  row.text(2),
               row.text(3),    row.text(4),  row.text(5),
               row.integer(6), row.text(7),  static_cast<std::size_t>(row.integer(8)),
               std::nullopt,   row.text(10), std::nullopt};
  if (!row.is_null(9)) p.last_http_status = static_cast<int>(row.integer(9));
  if (!row.is_null(11)) p.next_attempt_time = row.integer(11);
  return p;
}

}  // namespace herald::stored_rows
