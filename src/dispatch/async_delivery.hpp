// Asynchronous delivery (a DeliveryPath): a bounded queue of notifications, worker threads that
// attempt them when due, retries with exponential backoff and full jitter, and a per-attempt
// timeout after which a stuck attempt counts as failed and a worker is added so that the others go
// on.
//
// Thread-safety: safe for concurrent use. The finish callback runs on a worker (or on the thread
// of run_due()), without this class's lock held.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "dispatch/delivery.hpp"
#include "dispatch/finisher.hpp"
#include "herald/clock.hpp"
#include "herald/error.hpp"
#include "herald/notification.hpp"
#include "herald/options.hpp"
#include "sinks/sink_set.hpp"

namespace herald::detail {

class AsyncDelivery final : public DeliveryPath {
 public:
  /// Each delivery's final verdict goes to `finisher`.
  AsyncDelivery(const Options& options, std::shared_ptr<Clock> clock, const SinkSet& sinks,
                Finisher& finisher);
  /// Stops the workers; waits for attempts in progress (a sink that never returns blocks it).
  ~AsyncDelivery() override;
  AsyncDelivery(const AsyncDelivery&) = delete;
  AsyncDelivery& operator=(const AsyncDelivery&) = delete;

  /// Reserves room for `count` deliveries, waiting up to Options::enqueue_timeout. Errors:
  /// unavailable ("delivery queue full"), when there is no room by then.
  Result<void> reserve(std::size_t count) override;
  /// Gives back reserved room that will not be used.
  void release(std::size_t count) override;
  /// Queues notifications, due now, into reserved room; the report answers PENDING for each.
  void deliver(Notifications notifications, std::uint64_t generation,
               std::optional<std::uint64_t> first_record, TriggerReport& report) override;
  /// Attempts every delivery due at clock now on the calling thread (for hosts without workers,
  /// and tests on a manual clock); answers how many attempts were made.
  std::size_t run_due() override;
  [[nodiscard]] bool deferred() const noexcept override { return true; }
  /// Deliveries queued or being attempted.
  [[nodiscard]] std::size_t queued() const;

 private:
  struct Job {
    std::shared_ptr<const Notification> notification;
    std::size_t attempts = 0;  // made so far
  };
  struct Running {
    Job job;
    std::chrono::steady_clock::time_point started;
    bool taken_over = false;  // timed out: its outcome is no longer wanted
  };

  void worker_loop();
  void watchdog_loop();
  // The outcome of one attempt: final (finish) or another try later. Requires: lock not held.
  void settle(Job job, SinkVerdict verdict);
  [[nodiscard]] std::chrono::milliseconds backoff(std::size_t attempts);

  const Options options_;
  const std::shared_ptr<Clock> clock_;
  const SinkSet& sinks_;
  Finisher& finisher_;

  mutable std::mutex mutex_;
  std::condition_variable work_;
  std::condition_variable room_;
  std::condition_variable watchdog_wake_;  // the watchdog's own: a job's wake-up goes to a worker
  std::multimap<TimePoint, Job> waiting_;
  std::map<std::uint64_t, Running> running_;
  std::uint64_t next_running_id_ = 1;
  std::size_t reserved_ = 0;
  std::size_t sleeping_ = 0;  // idle workers, waiting to be woken
  std::size_t polling_ = 0;   // busy workers, looking again within k_poll unwoken
  static constexpr auto k_poll = std::chrono::milliseconds(1);
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::thread watchdog_;
};

}  // namespace herald::detail
