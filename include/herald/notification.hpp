// herald::Notification: the immutable message one matched event sends to its target.
//
// One notification is one allocation: its ids, names and target are copied into the block that
// holds it, and its fields are views into that block. It is always reached through a
// `std::shared_ptr<const Notification>` (made by make_notification(), or by the engine), so the
// views live as long as the notification does.
//
// The message is rendered on the first call of message() (a sink that never reads it costs no
// rendering), once: every sink, every retry and the record's notification_content see the same
// string. It never contains a secret value or a token: herald never receives either.
//
// Thread-safety: immutable once made (message() renders at most once, also when called from
// several threads at once). Sinks receive it by const reference and must copy what they keep
// after the call returns: the views are valid while the notification lives, which the caller
// guarantees for the call only.
#pragma once

#include "herald/export.hpp"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

/// The event's target at the time it fired, as views into the notification.
struct HERALD_EXPORT NotificationTargetView {
  std::string_view target_type;
  std::string_view target_id;
  std::string_view target_name;
};

/// What a notification is made of (views, copied by make_notification()).
struct HERALD_EXPORT NotificationFields {
  std::string_view notification_id;
  std::string_view project_id;
  std::string_view event_name;
  std::string_view event_id;
  EventType trigger_event_type = EventType::secret_version_created;
  std::string_view secret_name;
  SecretType secret_type = SecretType::common;
  std::optional<std::string_view> version_id;
  TimePoint trigger_time;
  NotificationTargetView target;
  MessageFormat format = MessageFormat::herald_json;
  /// The message, when it was rendered before (a store's outbox); empty: rendered from the fields
  /// in `format` when first read.
  std::string_view message;
};

class HERALD_EXPORT Notification {
 public:
  std::string_view notification_id;  ///< lower-case UUID v7 (time-ordered): the idempotency key,
                                     ///< stable across retries
  std::string_view project_id;
  std::string_view event_name;
  std::string_view event_id;
  EventType trigger_event_type = EventType::secret_version_created;
  std::string_view secret_name;
  SecretType secret_type = SecretType::common;
  std::optional<std::string_view> version_id;  ///< when a version is concerned
  TimePoint trigger_time;
  NotificationTargetView target;  ///< the event's target at the time it fired
  MessageFormat format = MessageFormat::herald_json;

  /// The rendered message (see MessageFormat), valid while the notification lives.
  [[nodiscard]] std::string_view message() const;
  /// The same string, sharing the notification's ownership (a record's notification_content).
  [[nodiscard]] static std::shared_ptr<const std::string> shared_message(
      const std::shared_ptr<const Notification>& notification);

  ~Notification();
  Notification(const Notification&) = delete;
  Notification& operator=(const Notification&) = delete;

 private:
  struct Made {};  // only make_notification() makes one
  friend std::shared_ptr<const Notification> make_notification(const NotificationFields& fields);

 public:
  // Used by make_notification(): `text` is the block's room for the copied fields.
  Notification(Made, const NotificationFields& fields, char* text);

 private:
  const std::string& rendered() const;
  mutable std::atomic<const std::string*> message_{nullptr};
};

/// A notification holding copies of `fields`, in one allocation.
[[nodiscard]] HERALD_EXPORT std::shared_ptr<const Notification> make_notification(
    const NotificationFields& fields);

/// The fields of `notification` (views into it), e.g. to make a changed copy.
[[nodiscard]] HERALD_EXPORT NotificationFields fields_of(const Notification& notification);

}  // namespace herald
