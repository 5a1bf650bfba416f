// herald::Clock: where herald reads the time. Production uses system_clock(); tests use a
// ManualClock that moves only when told, so no test waits for time to pass.
//
// Thread-safety: both clocks are safe for concurrent use.
// Lifetime: an Engine keeps a shared_ptr to its clock.
#pragma once

#include "herald/export.hpp"

#include <atomic>
#include <chrono>
#include <memory>

namespace herald {

/// A point in time with millisecond resolution, as the wire carries it (epoch milliseconds).
using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

/// Epoch milliseconds of `t`, the wire form of a time.
[[nodiscard]] constexpr std::int64_t to_epoch_ms(TimePoint t) noexcept {
  return t.time_since_epoch().count();
}
/// The TimePoint of `ms` epoch milliseconds.
[[nodiscard]] constexpr TimePoint from_epoch_ms(std::int64_t ms) noexcept {
  return TimePoint{std::chrono::milliseconds{ms}};
}

/// A source of the current time.
class HERALD_EXPORT Clock {
 public:
  virtual ~Clock() = default;
  /// The current time, truncated to milliseconds.
  [[nodiscard]] virtual TimePoint now() const = 0;
};

/// The system's wall clock.
[[nodiscard]] HERALD_EXPORT std::shared_ptr<Clock> system_clock();

/// A clock that stands still until set() or advance() moves it.
class HERALD_EXPORT ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = from_epoch_ms(1'581'507'580'000)) : now_(start) {}

  [[nodiscard]] TimePoint now() const override { return now_.load(std::memory_order_acquire); }
  void set(TimePoint t) { now_.store(t, std::memory_order_release); }
  void advance(std::chrono::milliseconds by) {
    auto current = now_.load(std::memory_order_relaxed);
    while (!now_.compare_exchange_weak(current, current + by, std::memory_order_acq_rel)) {
    }
  }

 private:
  std::atomic<TimePoint> now_;
};

}  // namespace herald
