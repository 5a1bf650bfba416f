// A reader-writer lock whose readers do not share a cache line: readers lock one of several
// stripes (chosen once per thread), writers lock them all. Concurrent triggers then scale with
// cores instead of bouncing one reader count between them; writes, which are rare, pay for it.
// Meets the SharedMutex requirements, so std::shared_lock and std::unique_lock work with it.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <shared_mutex>

namespace herald::detail {

class StripedSharedMutex {
 public:
  void lock() {
    for (auto& stripe : stripes_) stripe.mutex.lock();
  }
  bool try_lock() {
    for (std::size_t i = 0; i < stripes_.size(); ++i) {
      if (!stripes_[i].mutex.try_lock()) {
        while (i > 0) stripes_[--i].mutex.unlock();
        return false;
      }
    }
    return true;
  }
  void unlock() {
    for (auto& stripe : stripes_) stripe.mutex.unlock();
  }
  void lock_shared() { stripes_[my_stripe()].mutex.lock_shared(); }
  bool try_lock_shared() { return stripes_[my_stripe()].mutex.try_lock_shared(); }
  void unlock_shared() { stripes_[my_stripe()].mutex.unlock_shared(); }

 private:
  static constexpr std::size_t k_stripes = 8;
  struct alignas(64) Stripe {
    std::shared_mutex mutex;
  };
  // Fixed per thread, so that unlock_shared finds the stripe lock_shared took.
  static std::size_t my_stripe() {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t stripe =
        next.fetch_add(1, std::memory_order_relaxed) % k_stripes;
    return stripe;
  }
  std::array<Stripe, k_stripes> stripes_;
};

}  // namespace herald::detail
