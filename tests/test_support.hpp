// Shared fixtures of herald's tests: the contract's seed request, and a manual clock.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "herald/herald.hpp"

namespace herald::testing {

inline constexpr std::string_view k_project = "dc3b7c85759141a991da17423c0f2068";
inline constexpr std::string_view k_other_project = "0123456789abcdef0123456789abcdef";

/// The seed document's example CreateSecretEvent request, verbatim.
inline EventSpec seed_event_spec() {
  return EventSpec{
      .name = "demo-event",
      .event_types = {EventType::secret_version_created, EventType::secret_version_expired},
      .state = EventState::enabled,
      .notification = {.target_type = "SMN",
                       .target_id = "urn:smn:cn-north-4:dc3b7c85759141a991da17423c0f2068:test-poc",
                       .target_name = "demo-smn-name"}};
}

/// A valid spec named `name`, enabled, for SECRET_ROTATED.
inline EventSpec event_spec(std::string name) {
  auto spec = seed_event_spec();
  spec.name = std::move(name);
  spec.event_types = {EventType::secret_rotated};
  return spec;
}

/// "event-0007" for 7: names that sort in numeric order.
inline std::string numbered_name(int i) {
  std::string digits = std::to_string(i);
  return "event-" + std::string(digits.size() < 4 ? 4 - digits.size() : 0, '0') + digits;
}

/// An engine on a manual clock, for tests that read times.
class engine_fixture : public ::testing::Test {
 protected:
  explicit engine_fixture(Options options = {}) : engine_(options, clock_) {}

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  Engine engine_;
};

/// Whether `result` failed with `code` and a message that mentions `field`.
template <typename R>
::testing::AssertionResult failed_with(const R& result, ErrorCode code, std::string_view field) {
  if (result.ok()) return ::testing::AssertionFailure() << "succeeded, expected an error";
  const Error& error = result.error();
  if (error.code() != code) {
    return ::testing::AssertionFailure()
           << "failed with " << error.wire_code() << " (" << static_cast<int>(error.code())
           << "): " << error.message();
  }
  if (error.message().find(field) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "message '" << error.message() << "' does not name '" << field << "'";
  }
  return ::testing::AssertionSuccess();
}

/// Expects that `result` failed with ErrorCode::`code` and names `field` in its message.
#define EXPECT_ERROR(result, code, field) \
  EXPECT_TRUE(::herald::testing::failed_with((result), ::herald::ErrorCode::code, (field)))

}  // namespace herald::testing
