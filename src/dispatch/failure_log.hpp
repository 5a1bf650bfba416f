// Failures no caller can be told of (a store write refused after the delivery was made, a timer
// the store kept): counted, and reported through Options::log. herald never prints.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <cstdint>
#include <string_view>

#include "herald/error.hpp"
#include "herald/log.hpp"
#include "herald/notification.hpp"

namespace herald::detail {

class FailureLog {
 public:
  explicit FailureLog(LogFunction log) : log_(std::move(log)) {}

  /// Counts one failure of `what` and logs it with the store's error.
  void store_failed(std::string_view what, const Error& error) {
    count_.fetch_add(1, std::memory_order_relaxed);
    if (!log_) return;
    const LogField fields[] = {{"event", "store write failed"}, {"error", error.message()}};
    log_(LogLevel::error, fmt::format("{}: {}", what, error.message()), fields);
  }
  /// Logs a delivery that ended FAIL (after its retries): a warning, not counted here.
  void delivery_failed(const Notification& notification, std::string_view reason) const {
    if (!log_) return;
    const LogField fields[] = {{"event", "delivery failed"},
                               {"notification_id", notification.notification_id},
                               {"project", notification.project_id},
                               {"event_name", notification.event_name},
                               {"target_type", notification.target.target_type},
                               {"reason", reason}};
    log_(LogLevel::warning,
         fmt::format("delivery of notification {} ({} to {}) failed: {}",
                     notification.notification_id, notification.event_name,
                     notification.target.target_type, reason),
         fields);
  }
  [[nodiscard]] std::uint64_t count() const noexcept {
    return count_.load(std::memory_order_relaxed);
  }

 private:
  const LogFunction log_;
  std::atomic<std::uint64_t> count_{0};
};

}  // namespace herald::detail
