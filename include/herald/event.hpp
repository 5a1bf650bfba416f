// Events: the notification rules users configure (CSMS "secret events"), and the values that
// create and update them.
//
// An event has a name unique in its project, the lifecycle types it reacts to, a state (only an
// ENABLED event fires) and a notification target. These are plain values: copying one copies its
// strings, and nothing in them refers back into an Engine.
//
// Thread-safety: plain values.
#pragma once

#include "herald/export.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/clock.hpp"

namespace herald {

/// A secret lifecycle happening that an event can react to.
enum class EventType {
  secret_version_created,  ///< "SECRET_VERSION_CREATED": a new version (rotation makes one too)
  secret_version_expired,  ///< "SECRET_VERSION_EXPIRED": a version reached its expire_time
  secret_rotated,          ///< "SECRET_ROTATED": a rotation succeeded
  secret_deleted,          ///< "SECRET_DELETED": the secret was deleted
  secret_rotated_failed,   ///< "SECRET_ROTATED_FAILED": a rotation failed
};

/// How many EventType values there are; `static_cast<std::size_t>(type)` is below it.
inline constexpr std::size_t k_event_type_count = 5;

/// Every EventType, in declaration order.
inline constexpr std::array<EventType, k_event_type_count> k_event_types = {
    EventType::secret_version_created, EventType::secret_version_expired, EventType::secret_rotated,
    EventType::secret_deleted, EventType::secret_rotated_failed};

/// Whether an event fires.
enum class EventState {
  enabled,   ///< "ENABLED"
  disabled,  ///< "DISABLED"
};

/// The wire spelling, e.g. "SECRET_ROTATED".
[[nodiscard]] HERALD_EXPORT std::string_view to_string(EventType type) noexcept;
/// The wire spelling, "ENABLED" or "DISABLED".
[[nodiscard]] HERALD_EXPORT std::string_view to_string(EventState state) noexcept;
/// The EventType spelled exactly `text` (case matters), or nullopt.
[[nodiscard]] HERALD_EXPORT std::optional<EventType> parse_event_type(
    std::string_view text) noexcept;
/// The EventState spelled exactly `text` (case matters), or nullopt.
[[nodiscard]] HERALD_EXPORT std::optional<EventState> parse_event_state(
    std::string_view text) noexcept;

/// Where an event's notifications go. Delivery goes by `target_type` (which sinks serve it) and
/// `target_id` (for SMN, a topic URN `urn:smn:{region}:{project_id}:{topic}`); `target_name` is a
/// label. Whether the target exists is not checked here: a missing target shows as a FAIL record
/// when the event fires.
struct HERALD_EXPORT NotificationTarget {
  std::string target_type;  ///< e.g. "SMN"; 1–64 chars of letters, digits, `_`, `-`
  std::string target_id;    ///< 1–256 printable ASCII chars, no spaces
  std::string target_name;  ///< 1–256 bytes, no control characters

  friend bool operator==(const NotificationTarget&, const NotificationTarget&) = default;
};

/// A stored event, as ShowSecretEvent answers it.
struct HERALD_EXPORT Event {
  std::string name;                    ///< unique in the project; `^[a-zA-Z0-9_-]{1,64}$`
  std::string event_id;                ///< lower-case UUID v4, 8-4-4-4-12
  std::vector<EventType> event_types;  ///< 1–5 distinct types, in the order they were given
  EventState state = EventState::enabled;
  TimePoint create_time;  ///< set once, at creation
  TimePoint update_time;  ///< equals create_time until the first update
  NotificationTarget notification;

  friend bool operator==(const Event&, const Event&) = default;
};

/// What CreateSecretEvent takes: every field is required.
struct HERALD_EXPORT EventSpec {
  std::string name;
  std::vector<EventType> event_types;
  EventState state = EventState::enabled;
  NotificationTarget notification;
};

/// What UpdateSecretEvent takes: only the fields that are set change. The name cannot change.
struct HERALD_EXPORT EventPatch {
  std::optional<EventState> state;
  std::optional<std::vector<EventType>> event_types;
  std::optional<NotificationTarget> notification;
};

}  // namespace herald
