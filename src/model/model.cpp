// Wire spellings of the model's enums, the system clock, and page-limit parsing.
#include <charconv>

#include "herald/clock.hpp"
#include "herald/event.hpp"
#include "herald/page.hpp"
#include "herald/record.hpp"
#include "herald/secret.hpp"

namespace herald {
namespace {

constexpr std::array<std::string_view, k_event_type_count> k_event_type_names = {
    "SECRET_VERSION_CREATED", "SECRET_VERSION_EXPIRED", "SECRET_ROTATED", "SECRET_DELETED",
    "SECRET_ROTATED_FAILED"};

constexpr std::array<std::string_view, 3> k_secret_type_names = {"COMMON", "RDS-FG", "GaussDB-FG"};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  }
};

}  // namespace

std::string_view to_string(EventType type) noexcept {
  const auto index = static_cast<std::size_t>(type);
  return index < k_event_type_names.size() ? k_event_type_names[index] : std::string_view{};
}

std::string_view to_string(EventState state) noexcept {
  return state == EventState::enabled ? "ENABLED" : "DISABLED";
}

std::optional<EventType> parse_event_type(std::string_view text) noexcept {
  for (std::size_t i = 0; i < k_event_type_names.size(); ++i) {
    if (k_event_type_names[i] == text) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

std::optional<EventState> parse_event_state(std::string_view text) noexcept {
  if (text == "ENABLED") return EventState::enabled;
  if (text == "DISABLED") return EventState::disabled;
  return std::nullopt;
}

std::string_view to_string(SecretType type) noexcept {
  const auto index = static_cast<std::size_t>(type);
  return index < k_secret_type_names.size() ? k_secret_type_names[index] : std::string_view{};
}

std::optional<SecretType> parse_secret_type(std::string_view text) noexcept {
  for (std::size_t i = 0; i < k_secret_type_names.size(); ++i) {
    if (k_secret_type_names[i] == text) return static_cast<SecretType>(i);
  }
  return std::nullopt;
}

std::string_view to_string(NotificationStatus status) noexcept {
  switch (status) {
    case NotificationStatus::success: return "SUCCESS";
    case NotificationStatus::fail: return "FAIL";
    case NotificationStatus::invalid: return "INVALID";
    case NotificationStatus::pending: return "PENDING";
  }
  return {};
}

std::optional<NotificationStatus> parse_notification_status(std::string_view text) noexcept {
  if (text == "SUCCESS") return NotificationStatus::success;
  if (text == "FAIL") return NotificationStatus::fail;
  if (text == "INVALID") return NotificationStatus::invalid;
  return std::nullopt;
}

std::shared_ptr<Clock> system_clock() {
  static const auto clock = std::make_shared<SystemClock>();
  return clock;
}

Result<std::size_t> parse_page_limit(std::optional<std::string_view> text) {
  if (!text || text->empty()) return k_default_page_limit;
  const auto invalid = [] {
    return Error{ErrorCode::invalid_argument, "limit: must be a whole number from 1 to 1000"};
  };
  std::size_t value = 0;
  const char* const end = text->data() + text->size();
  // from_chars takes no sign and no spaces; digits only, so "+5", "-1" and " 5" fail here.
  const auto [stop, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc{} || stop != end) return invalid();
  if (value < 1 || value > k_max_page_limit) return invalid();
  return value;
}

}  // namespace herald
