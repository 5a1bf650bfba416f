// Notification records: one per delivery, as ListNotificationRecords shows them.
//
// Thread-safety: plain values.
#pragma once

#include "herald/export.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "herald/clock.hpp"
#include "herald/event.hpp"
#include "herald/secret.hpp"

namespace herald {

/// The outcome of one delivery.
enum class NotificationStatus {
  success,  ///< "SUCCESS": the sinks took the message
  fail,     ///< "FAIL": a sink tried and failed (missing topic, other project's topic, a throw)
  invalid,  ///< "INVALID": no sink serves the target type, or the target id is malformed for it
  pending,  ///< "PENDING": queued for asynchronous delivery (trigger reports only, never a record)
};

[[nodiscard]] HERALD_EXPORT std::string_view to_string(NotificationStatus status) noexcept;
/// The final status spelled exactly `text` (SUCCESS, FAIL or INVALID), or nullopt.
[[nodiscard]] HERALD_EXPORT std::optional<NotificationStatus> parse_notification_status(
    std::string_view text) noexcept;

/// One delivery. The first nine fields are the contract's; the rest are herald's.
struct HERALD_EXPORT NotificationRecord {
  std::string event_name;
  EventType trigger_event_type = EventType::secret_version_created;
  TimePoint create_time;
  std::string secret_name;
  SecretType secret_type = SecretType::common;
  std::string notification_target_name;
  std::string notification_target_id;
  std::shared_ptr<const std::string> notification_content;  ///< the message sent, as a string
  NotificationStatus notification_status = NotificationStatus::success;

  std::string notification_id;           ///< herald: the message's idempotency key
  std::string notification_target_type;  ///< herald: e.g. "SMN"
  std::string failure_reason;            ///< herald: why FAIL or INVALID; empty on SUCCESS
};

/// Which records to list: newest first, after filters.
struct HERALD_EXPORT RecordQuery {
  /// Records per page, 1..1000. Default: 1000 (the contract's "newest 1000").
  std::size_t limit = 1000;
  /// The opaque `next_marker` of the previous page; empty for the newest records.
  std::string marker;
  std::string event_name;                    ///< only this event's records, when not empty
  std::string secret_name;                   ///< only this secret's records, when not empty
  std::optional<NotificationStatus> status;  ///< only records with this status, when set
};

}  // namespace herald
