#include "validate/validate.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <vector>

namespace herald::validate {
namespace {

constexpr bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

Error invalid(std::string message) {
  return Error{ErrorCode::invalid_argument, std::move(message)};
}

// A name of 1..64 chars, each alphanumeric or one of `extra`.
// Which bytes a kind of name may hold: a table, since every trigger checks two or three names.
struct NameChars {
  std::array<bool, 256> allowed{};
  constexpr explicit NameChars(std::string_view extra) {
    for (int c = 0; c < 256; ++c) {
      allowed[static_cast<std::size_t>(c)] =
          is_alnum(static_cast<char>(c)) || extra.find(static_cast<char>(c)) != extra.npos;
    }
  }
  [[nodiscard]] constexpr bool all(std::string_view value) const noexcept {
    for (const char c : value) {
      if (!allowed[static_cast<unsigned char>(c)]) return false;
    }
    return true;
  }
};
constexpr NameChars k_plain_name_chars("_-");
constexpr NameChars k_path_name_chars("._-");

Result<void> name_of(std::string_view value, std::string_view field, const NameChars& chars,
                     std::string_view rule) {
  if (value.empty()) return invalid(fmt::format("{}: is required", field));
  const bool well_formed = value.size() <= k_max_name_length && chars.all(value);
  if (!well_formed) return invalid(fmt::format("{}: must match {}", field, rule));
  return {};
}

Result<void> bounded_text(std::string_view value, std::string_view field, std::size_t max_length,
                          bool (*allowed)(char)) {
  if (value.empty()) return invalid(fmt::format("{}: is required", field));
  if (value.size() > max_length) {
    return invalid(fmt::format("{}: must be at most {} characters", field, max_length));
  }
  if (!std::ranges::all_of(value, allowed)) {
    return invalid(fmt::format("{}: contains a character that is not allowed", field));
  }
  return {};
}

}  // namespace

Result<void> project_id(std::string_view value) {
  return name_of(value, "project_id", k_plain_name_chars, "^[a-zA-Z0-9_-]{1,64}$");
}

Result<void> event_name(std::string_view value, std::string_view field) {
  return name_of(value, field, k_plain_name_chars, "^[a-zA-Z0-9_-]{1,64}$");
}

Result<void> stored_secret_name(std::string_view value, std::string_view field) {
  return name_of(value, field, k_path_name_chars, "^[a-zA-Z0-9._-]{1,64}$");
}

// `.` and `..` are path segments a proxy removes when it normalises the path: a secret or
// version of that name could be made but never reached again through one.
Result<void> path_segment_name(std::string_view value, std::string_view field) {
  if (auto r = name_of(value, field, k_path_name_chars, "^[a-zA-Z0-9._-]{1,64}$"); !r) return r;
  if (value == "." || value == "..") {
    return invalid(fmt::format("{}: must not be '.' or '..'", field));
  }
  return {};
}

Result<void> secret_name(std::string_view value, std::string_view field) {
  return path_segment_name(value, field);
}

Result<void> version_id(std::string_view value, std::string_view field) {
  return path_segment_name(value, field);
}

Result<void> event_types(std::span<const EventType> types, std::string_view field) {
  if (types.empty()) return invalid(fmt::format("{}: must list at least one event type", field));
  if (types.size() > k_max_event_types) {
    return invalid(fmt::format("{}: must list at most {} event types", field, k_max_event_types));
  }
  std::array<bool, k_event_type_count> seen{};
  for (std::size_t i = 0; i < types.size(); ++i) {
    const auto index = static_cast<std::size_t>(types[i]);
    if (index >= k_event_type_count) {
      return invalid(fmt::format("{}[{}]: is not a known event type", field, i));
    }
    if (seen[index]) {
      return invalid(fmt::format("{}[{}]: {} is listed twice", field, i, to_string(types[i])));
    }
    seen[index] = true;
  }
  return {};
}

Result<void> notification(const NotificationTarget& target, std::string_view field) {
  const auto type_char = [](char c) { return is_alnum(c) || c == '_' || c == '-'; };
  const auto id_char = [](char c) { return c > ' ' && c < '\x7f'; };
  const auto name_char = [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && c != '\x7f';
  };
  if (auto r = bounded_text(target.target_type, fmt::format("{}.target_type", field),
                            k_max_target_type_length, +type_char);
      !r) {
    return r;
  }
  if (auto r = bounded_text(target.target_id, fmt::format("{}.target_id", field),
                            k_max_target_id_length, +id_char);
      !r) {
    return r;
  }
  return bounded_text(target.target_name, fmt::format("{}.target_name", field),
                      k_max_target_name_length, +name_char);
}

Result<void> event_spec(const EventSpec& spec) {
  if (auto r = event_name(spec.name); !r) return r;
  if (auto r = event_types(spec.event_types); !r) return r;
  if (spec.state != EventState::enabled && spec.state != EventState::disabled) {
    return invalid("state: must be ENABLED or DISABLED");
  }
  return notification(spec.notification);
}

Result<void> event_patch(const EventPatch& patch) {
  if (patch.state && *patch.state != EventState::enabled && *patch.state != EventState::disabled) {
    return invalid("state: must be ENABLED or DISABLED");
  }
  if (patch.event_types) {
    if (auto r = event_types(*patch.event_types); !r) return r;
  }
  if (patch.notification) return notification(*patch.notification);
  return {};
}

namespace {
Result<void> page_limit(const PageQuery& query) {
  if (query.limit < 1 || query.limit > k_max_page_limit) {
    return invalid("limit: must be a whole number from 1 to 1000");
  }
  return {};
}
}  // namespace

Result<void> event_page(const PageQuery& query) {
  if (auto r = page_limit(query); !r) return r;
  if (!query.marker.empty()) return event_name(query.marker, "marker");
  return {};
}

Result<void> secret_page(const PageQuery& query) {
  if (auto r = page_limit(query); !r) return r;
  if (!query.marker.empty()) return secret_name(query.marker, "marker");
  return {};
}

Result<void> subscriptions(std::span<const std::string> event_names, std::string_view field) {
  for (std::size_t i = 0; i < event_names.size(); ++i) {
    if (auto r = event_name(event_names[i], fmt::format("{}[{}]", field, i)); !r) return r;
  }
  // Sorted views find a name given twice in O(n log n), whatever the list's length.
  std::vector<std::string_view> sorted(event_names.begin(), event_names.end());
  std::ranges::sort(sorted);
  if (const auto twice = std::ranges::adjacent_find(sorted); twice != sorted.end()) {
    return invalid(fmt::format("{}: {} is listed twice", field, *twice));
  }
  return {};
}

Result<void> secret_type(SecretType type) {
  if (to_string(type).empty()) {
    return Error{ErrorCode::invalid_argument, "secret_type: is not a known secret type"};
  }
  return {};
}

Result<void> lifecycle_event(std::string_view project, const LifecycleEvent& event) {
  if (auto r = project_id(project); !r) return r;
  if (auto r = secret_name(event.secret_name); !r) return r;
  if (!event.version_id.empty()) {
    if (auto r = version_id(event.version_id); !r) return r;
  }
  if (static_cast<std::size_t>(event.type) >= k_event_type_count) {
    return Error{ErrorCode::invalid_argument, "event_type: is not a known event type"};
  }
  return secret_type(event.secret_type);
}

Result<void> record_query(const RecordQuery& query) {
  if (query.limit < 1 || query.limit > k_max_page_limit) {
    return Error{ErrorCode::invalid_argument, "limit: must be a whole number from 1 to 1000"};
  }
  if (!query.event_name.empty()) {
    if (auto r = event_name(query.event_name, "event_name"); !r) return r;
  }
  if (!query.secret_name.empty()) {
    if (auto r = secret_name(query.secret_name); !r) return r;
  }
  if (query.status && to_string(*query.status).empty()) {
    return Error{ErrorCode::invalid_argument, "notification_status: is not a known status"};
  }
  return {};
}

bool is_topic_name(std::string_view name) noexcept {
  return !name.empty() && name.size() <= k_max_topic_name_length && is_alnum(name.front()) &&
         std::ranges::all_of(name, [](char c) { return is_alnum(c) || c == '-' || c == '_'; });
}

Result<void> topic_name(std::string_view name) {
  if (is_topic_name(name)) return {};
  return Error{ErrorCode::invalid_argument,
               "name: must be 1-255 letters, digits, '-' or '_', starting with a letter or digit"};
}

Result<void> topic_display_name(std::string_view display_name) {
  if (display_name.size() > k_max_topic_display_name_length ||
      std::ranges::any_of(display_name,
                          [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    return Error{ErrorCode::invalid_argument,
                 "display_name: must be at most 192 bytes without control characters"};
  }
  return {};
}

std::optional<SmnUrn> parse_smn_urn(std::string_view urn) noexcept {
  constexpr std::string_view k_prefix = "urn:smn:";
  if (!urn.starts_with(k_prefix)) return std::nullopt;
  urn.remove_prefix(k_prefix.size());
  std::array<std::string_view, 3> parts;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto colon = i + 1 < parts.size() ? urn.find(':') : std::string_view::npos;
    if (i + 1 < parts.size() && colon == std::string_view::npos) return std::nullopt;
    parts[i] = urn.substr(0, colon);
    if (parts[i].empty()) return std::nullopt;
    urn = colon == std::string_view::npos ? std::string_view{} : urn.substr(colon + 1);
  }
  if (!is_topic_name(parts[2])) return std::nullopt;
  return SmnUrn{parts[0], parts[1], parts[2]};
}

}  // namespace herald::validate
