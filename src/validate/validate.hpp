// Every rule of the contract about names and request bodies, one function per thing checked.
// Each returns an Error (invalid_argument, CSMS.0002) whose message names the field, or nothing.
#pragma once

#include "herald/export.hpp"

#include <span>
#include <string>
#include <string_view>

#include <optional>
#include "herald/error.hpp"

#include "herald/event.hpp"
#include "herald/lifecycle.hpp"
#include "herald/page.hpp"
#include "herald/record.hpp"

// HERALD_EXPORT: herald::api calls these across the library boundary of a shared build.
namespace herald::validate {

inline constexpr std::size_t k_max_name_length = 64;
inline constexpr std::size_t k_max_event_types = 12;
inline constexpr std::size_t k_max_target_type_length = 64;
inline constexpr std::size_t k_max_target_id_length = 256;
inline constexpr std::size_t k_max_target_name_length = 256;

/// `^[a-zA-Z0-9_-]{1,64}$`.
HERALD_EXPORT Result<void> project_id(std::string_view value);
/// `^[a-zA-Z0-9_-]{1,64}$` (no period: CSMS event names).
HERALD_EXPORT Result<void> event_name(std::string_view value, std::string_view field = "name");
/// `^[a-zA-Z0-9._-]{1,64}$` (the wider, older public rule for secret names), but not `.` or `..`
/// (path segments that a normalising proxy removes).
HERALD_EXPORT Result<void> secret_name(std::string_view value,
                                       std::string_view field = "secret_name");
/// A secret name as stored before `.` and `..` were refused: `^[a-zA-Z0-9._-]{1,64}$`, so that
/// a store holding one still opens.
Result<void> stored_secret_name(std::string_view value, std::string_view field = "secret_name");
/// As secret_name: `^[a-zA-Z0-9._-]{1,64}$`, not `.` or `..`.
HERALD_EXPORT Result<void> version_id(std::string_view value,
                                      std::string_view field = "version_id");
/// 1–12 items, each a known type, none twice.
Result<void> event_types(std::span<const EventType> types, std::string_view field = "event_types");
/// The three fields present and within their rules.
Result<void> notification(const NotificationTarget& target,
                          std::string_view field = "notification");
/// A CreateSecretEvent body.
HERALD_EXPORT Result<void> event_spec(const EventSpec& spec);
/// An UpdateSecretEvent body: only the fields that are set.
HERALD_EXPORT Result<void> event_patch(const EventPatch& patch);
/// A page query over events (marker: an event name) or secrets (marker: a secret name).
Result<void> event_page(const PageQuery& query);
Result<void> secret_page(const PageQuery& query);
/// A secret's event_subscriptions: each a well-formed event name, none twice.
HERALD_EXPORT Result<void> subscriptions(std::span<const std::string> event_names,
                                         std::string_view field = "event_subscriptions");

/// A known secret type.
Result<void> secret_type(SecretType type);
/// What Engine::trigger takes: the project, the secret's name, the version's id when given, a
/// known event type and secret type.
Result<void> lifecycle_event(std::string_view project_id, const LifecycleEvent& event);
/// A ListNotificationRecords query (the marker's form is the record source's to check).
Result<void> record_query(const RecordQuery& query);

/// SMN topic names: 1–255 letters, digits, `-`, `_`, starting with a letter or digit.
inline constexpr std::size_t k_max_topic_name_length = 255;
inline constexpr std::size_t k_max_topic_display_name_length = 192;
[[nodiscard]] bool is_topic_name(std::string_view name) noexcept;
Result<void> topic_name(std::string_view name);
/// At most 192 bytes, no control characters.
Result<void> topic_display_name(std::string_view display_name);

/// The parts of `urn:smn:{region}:{project_id}:{topic}` (views into the URN).
struct SmnUrn {
  std::string_view region, project_id, topic;
};
/// The parts of `urn`, or nullopt unless every part is non-empty and the topic a topic name.
[[nodiscard]] std::optional<SmnUrn> parse_smn_urn(std::string_view urn) noexcept;

}  // namespace herald::validate
