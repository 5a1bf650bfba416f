#include "dispatch/async_delivery.hpp"

#include "herald/metrics.hpp"

#include <fmt/format.h>

#include <random>

namespace herald::detail {

AsyncDelivery::AsyncDelivery(const Options& options, std::shared_ptr<Clock> clock,
                             const SinkSet& sinks, Finisher& finisher)
    : options_(options), clock_(std::move(clock)), sinks_(sinks), finisher_(finisher) {
  for (std::size_t i = 0; i < options_.delivery_workers; ++i) {
    workers_.emplace_back([this] { worker_loop(); });
  }
  if (options_.delivery_workers > 0) watchdog_ = std::thread([this] { watchdog_loop(); });
}

AsyncDelivery::~AsyncDelivery() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  room_.notify_all();
  watchdog_wake_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  // Workers may be added by the watchdog until it stopped; none after.
  for (auto& worker : workers_) worker.join();
}

Result<void> AsyncDelivery::reserve(std::size_t count) {
  std::unique_lock lock(mutex_);
  const auto has_room = [&] {
    return waiting_.size() + running_.size() + reserved_ + count <= options_.max_queued_deliveries;
  };
  if (!has_room() &&
      !room_.wait_for(lock, options_.enqueue_timeout, [&] { return stopping_ || has_room(); })) {
    return Error{
        ErrorCode::unavailable,
        fmt::format("delivery queue full ({} deliveries queued, at most {})",
                    waiting_.size() + running_.size() + reserved_, options_.max_queued_deliveries)};
  }
  if (stopping_) return Error{ErrorCode::unavailable, "delivery is stopping"};
  reserved_ += count;
  return {};
}

void AsyncDelivery::release(std::size_t count) {
  {
    std::lock_guard lock(mutex_);
    reserved_ -= std::min(count, reserved_);
  }
  room_.notify_all();
}

void AsyncDelivery::deliver(Notifications notifications, std::uint64_t /*generation*/,
                            std::optional<std::uint64_t> /*first_record*/, TriggerReport& report) {
  // Each attempt sees the sinks connected when it starts (a retry reaches a sink connected
  // since); records are numbered when final.
  for (const auto& n : notifications) {
    report.notifications.push_back(
        DeliveryReport{n->event_name, n->notification_id, NotificationStatus::pending, {}, n});
  }
  std::size_t wake = 0;
  {
    std::lock_guard lock(mutex_);
    const TimePoint now = clock_->now();
    reserved_ -= std::min(notifications.size(), reserved_);
    for (auto& n : notifications) waiting_.emplace(now, Job{std::move(n), 0});
    // Polling workers take what they can; a sleeping worker is woken for each job beyond
    // (waking them all for one job cost a context switch each).
    const std::size_t beyond = waiting_.size() > polling_ ? waiting_.size() - polling_ : 0;
    wake = std::min({notifications.size(), beyond, sleeping_});
  }
  for (std::size_t i = 0; i < wake; ++i) work_.notify_one();
}

std::size_t AsyncDelivery::queued() const {
  std::lock_guard lock(mutex_);
  return waiting_.size() + running_.size();
}

std::chrono::milliseconds AsyncDelivery::backoff(std::size_t attempts) {
  // Full jitter: uniform in [0, min(max, initial * 2^(attempts-1))].
  const auto shift = std::min<std::size_t>(attempts - 1, 30);
  const auto cap = std::min<std::int64_t>(options_.retry.max_backoff.count(),
                                          options_.retry.initial_backoff.count() << shift);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::chrono::milliseconds(
      std::uniform_int_distribution<std::int64_t>(0, std::max<std::int64_t>(cap, 0))(rng));
}

void AsyncDelivery::settle(Job job, SinkVerdict verdict) {
  if (verdict.unavailable) {
    // The target cannot be reached now: not an attempt. Tried again at the schedule's cap,
    // for as long as the outage lasts: nothing is dropped for it.
    --job.attempts;
    {
      std::lock_guard lock(mutex_);
      waiting_.emplace(clock_->now() + options_.retry.max_backoff, std::move(job));
    }
    work_.notify_one();
    return;
  }
  if (verdict.status == NotificationStatus::fail && job.attempts <= options_.retry.max_retries) {
    {
      std::lock_guard lock(mutex_);
      waiting_.emplace(clock_->now() + backoff(job.attempts), std::move(job));
    }
    work_.notify_one();
    return;
  }
  if (verdict.status == NotificationStatus::fail && job.attempts > 1) {
    verdict.reason = fmt::format("after {} attempts: {}", job.attempts, verdict.reason);
  }
  finisher_.finish(std::move(job.notification), std::move(verdict));
  room_.notify_all();
}

std::size_t AsyncDelivery::run_due() {
  std::vector<Job> due;
  {
    std::lock_guard lock(mutex_);
    const TimePoint now = clock_->now();
    const auto last = waiting_.upper_bound(now);
    for (auto it = waiting_.begin(); it != last; ++it) due.push_back(std::move(it->second));
    waiting_.erase(waiting_.begin(), last);
  }
  for (auto& job : due) {
    ++job.attempts;
    if (Metrics* metrics = finisher_.metrics()) metrics->count_attempt();
    auto verdict = sinks_.deliver(*job.notification, sinks_.generation());
    settle(std::move(job), std::move(verdict));
  }
  return due.size();
}

void AsyncDelivery::worker_loop() {
  std::unique_lock lock(mutex_);
  bool just_worked = false;
  while (!stopping_) {
    const TimePoint now = clock_->now();
    if (waiting_.empty() || waiting_.begin()->first > now) {
      if (just_worked) {
        // Busy: look again in k_poll without being woken, so that under a steady stream of
        // triggers no trigger pays for a wake-up (it cost the triggering thread a context
        // switch, and often its core: durable triggers 16.3k/s waking a worker for each,
        // 20k/s and more with polling). A delivery waits at most k_poll for a polling worker.
        just_worked = false;
        ++polling_;
        work_.wait_for(lock, k_poll);
        --polling_;
        continue;
      }
      // Idle: sleep until woken. The clock may be a manual one: look again at least every
      // 20 ms.
      ++sleeping_;
      work_.wait_for(lock, std::chrono::milliseconds(20));
      --sleeping_;
      continue;
    }
    just_worked = true;
    Job job = std::move(waiting_.begin()->second);
    waiting_.erase(waiting_.begin());
    ++job.attempts;
    const std::uint64_t id = next_running_id_++;
    running_.emplace(id, Running{job, std::chrono::steady_clock::now(), false});
    lock.unlock();

    if (Metrics* metrics = finisher_.metrics()) metrics->count_attempt();
    auto verdict = sinks_.deliver(*job.notification, sinks_.generation());

    lock.lock();
    const auto it = running_.find(id);
    const bool taken_over = it->second.taken_over;
    running_.erase(it);
    if (taken_over) {
      // The watchdog settled this attempt and added a worker; this one retires.
      room_.notify_all();
      return;
    }
    lock.unlock();
    settle(std::move(job), std::move(verdict));
    lock.lock();
  }
}

void AsyncDelivery::watchdog_loop() {
  const auto period = std::clamp(options_.attempt_timeout / 4, std::chrono::milliseconds(5),
                                 std::chrono::milliseconds(250));
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    watchdog_wake_.wait_for(lock, period);
    const auto now = std::chrono::steady_clock::now();
    std::vector<Job> timed_out;
    for (auto& [id, running] : running_) {
      if (!running.taken_over && now - running.started >= options_.attempt_timeout) {
        running.taken_over = true;
        timed_out.push_back(running.job);
        // The stuck worker stays inside its sink; add one so the others go on.
        workers_.emplace_back([this] { worker_loop(); });
      }
    }
    if (timed_out.empty()) continue;
    lock.unlock();
    for (auto& job : timed_out) {
      settle(std::move(job),
             SinkVerdict{NotificationStatus::fail, fmt::format("attempt timed out after {} ms",
                                                               options_.attempt_timeout.count())});
    }
    lock.lock();
  }
}

}  // namespace herald::detail
