// herald::ExpiryScheduler: a thread that calls Engine::run_due on time. It drives the Engine, so
// it lives beside it (src/engine), above the timers themselves (src/schedule).
#include "herald/expiry_scheduler.hpp"

namespace herald {

ExpiryScheduler::ExpiryScheduler(Engine& engine, std::chrono::milliseconds interval)
    : engine_(engine), interval_(interval), thread_([this] { run(); }) {}

ExpiryScheduler::~ExpiryScheduler() { stop(); }

void ExpiryScheduler::poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  wake_.notify_one();
}

void ExpiryScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  // Concurrent callers all return after the one join (call_once blocks them meanwhile).
  std::call_once(joined_, [this] {
    if (thread_.get_id() != std::this_thread::get_id()) thread_.join();
  });
}

void ExpiryScheduler::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return stopping_ || poked_; });
    if (stopping_) break;
    poked_ = false;
    lock.unlock();
    engine_.run_due();
    lock.lock();
  }
}

}  // namespace herald
