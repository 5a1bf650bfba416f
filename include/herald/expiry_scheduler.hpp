// herald::ExpiryScheduler: a background thread that calls Engine::run_due() periodically, so
// that an armed SECRET_VERSION_EXPIRED fires within one interval of its time without the host
// driving it. Hosts that have their own loop call run_due() themselves instead.
//
// Thread-safety: stop() may be called from any thread, once or more; the destructor stops.
// Lifetime: the Engine must outlive the scheduler.
#pragma once

#include "herald/export.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "herald/engine.hpp"

namespace herald {

class HERALD_EXPORT ExpiryScheduler {
 public:
  /// Starts the thread; it calls engine.run_due() every `interval` (real time).
  /// Default: 200 ms, well within the second the REST server promises.
  explicit ExpiryScheduler(Engine& engine,
                           std::chrono::milliseconds interval = std::chrono::milliseconds{200});
  ~ExpiryScheduler();
  ExpiryScheduler(const ExpiryScheduler&) = delete;
  ExpiryScheduler& operator=(const ExpiryScheduler&) = delete;

  /// Wakes the thread at once to fire what is due (useful after moving a manual clock).
  void poke();
  /// Stops the thread and waits for it; a run_due() in progress finishes first.
  void stop();

 private:
  void run();

  Engine& engine_;
  const std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool poked_ = false;
  std::once_flag joined_;
  std::thread thread_;
};

}  // namespace herald
