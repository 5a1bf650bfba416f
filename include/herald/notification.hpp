// herald::Notification: the immutable message one matched event sends to its target.
//
// The payload is rendered once per matched event, and the same string is handed to every sink
// and kept as the record's notification_content. It never contains a secret value or a token:
// herald never receives either.
//
// Thread-safety: immutable once made; sinks receive it by const reference and may read it from
// any thread, but must copy what they keep after the call returns (or keep `payload`, a shared,
// immutable string).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "herald/clock.hpp"
#include "herald/event.hpp"
#include "herald/secret.hpp"

namespace herald {

/// The shape of the message herald sends.
enum class MessageFormat {
  /// herald's JSON object: notification_id, event_name, event_id, trigger_event_type,
  /// project_id, secret_name, secret_type, version_id (when a version is concerned),
  /// trigger_time (epoch ms).
  herald_json,
  /// A CloudEvents 1.0 structured-mode JSON message whose `data` is the herald_json object.
  cloudevents,
};

struct Notification {
  std::string notification_id;  ///< lower-case UUID v4: the idempotency key, stable across retries
  std::string project_id;
  std::string event_name;
  std::string event_id;
  EventType trigger_event_type = EventType::secret_version_created;
  std::string secret_name;
  SecretType secret_type = SecretType::common;
  std::optional<std::string> version_id;  ///< when a version is concerned
  TimePoint trigger_time;
  NotificationTarget target;                   ///< the event's target at the time it fired
  std::shared_ptr<const std::string> payload;  ///< the rendered message (see MessageFormat)
};

}  // namespace herald
