// Lifecycle events: what the host tells herald happened to a secret, and the report of what
// herald did about it.
//
// Thread-safety: plain values.
#pragma once

#include "herald/export.hpp"

#include <boost/container/small_vector.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "herald/event.hpp"
#include "herald/notification.hpp"
#include "herald/record.hpp"
#include "herald/secret.hpp"

namespace herald {

/// A happening to one secret. The views must stay valid for the call that takes it; herald
/// copies what it keeps.
struct HERALD_EXPORT LifecycleEvent {
  std::string_view secret_name;  ///< 1–64 chars of letters, digits, `.`, `_`, `-`
  EventType type = EventType::secret_version_created;
  SecretType secret_type = SecretType::common;
  std::string_view version_id;  ///< empty when no version is concerned
};

/// What became of one matched event. `event_name` and `notification_id` are views into
/// `notification`, which the report keeps: they are valid as long as a copy of the report is.
struct HERALD_EXPORT DeliveryReport {
  std::string_view event_name;
  std::string_view notification_id;
  NotificationStatus notification_status = NotificationStatus::success;
  std::string failure_reason;                        ///< why FAIL or INVALID; empty on SUCCESS
  std::shared_ptr<const Notification> notification;  ///< what was sent (or queued)
};

/// One entry per enabled event that matched, in the order the secret subscribes to them. Empty
/// when nothing matched (also for a secret herald does not know). The first entry is held
/// inline (most triggers match one event): a report of one match allocates nothing.
struct HERALD_EXPORT TriggerReport {
  boost::container::small_vector<DeliveryReport, 1> notifications;
};

}  // namespace herald
