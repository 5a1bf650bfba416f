// The notification record log in memory: per project, final records (of an engine without a
// store, or in the memory store), listed newest first, those at or before a pruning time gone,
// at most `capacity` in all (the oldest, across every project, dropped first).
//
// Thread-safety: safe for concurrent use. One mutex, held briefly by each append; a listing
// holds it for at most k_scan_chunk entries at a time and lets waiting appends in between, so a
// long filtered scan never stalls triggers (its own project's or another's) for long. No
// callback runs under it.
// Markers are per-project sequence numbers: a tenant learns nothing of another's traffic.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <span>
#include <string>

#include "herald/error.hpp"
#include "herald/notification.hpp"
#include "herald/page.hpp"
#include "herald/record.hpp"

namespace herald::detail {

/// One delivery as the log keeps it: the notification itself (shared with the sinks, not
/// copied) and its outcome. NotificationRecord values are made only when listed.
struct Delivery {
  std::shared_ptr<const Notification> notification;
  NotificationStatus status = NotificationStatus::success;
  std::string reason;
};

class RecordLog {
 public:
  /// A capacity of 0 keeps nothing.
  explicit RecordLog(std::size_t capacity) : capacity_(capacity) {}

  /// Appends `deliveries` (in order) to the project's log; drops the records whose trigger_time
  /// is at or before `prune_before` (the retention), and the oldest beyond the capacity.
  void append(std::string_view project_id, std::span<Delivery> deliveries, TimePoint prune_before);

  /// One page, newest first, after the query's filters; a record whose trigger_time is at or
  /// before `prune_before` is never listed. `next_marker` is opaque (a sequence number of the
  /// project). Requires: the query was validated, except for the marker's form.
  /// Errors: invalid_argument (marker not one this log hands out).
  [[nodiscard]] Result<Page<NotificationRecord>> list(std::string_view project_id,
                                                      const RecordQuery& query,
                                                      TimePoint prune_before);

  /// Records held, in all projects.
  [[nodiscard]] std::size_t size() const;

 private:
  struct Entry {
    std::uint64_t sequence;
    Delivery delivery;
  };
  struct ProjectLog {
    std::uint64_t next_sequence = 1;
    std::deque<Entry> entries;  // oldest first, sequence ascending
  };
  using Projects = std::map<std::string, ProjectLog, std::less<>>;
  /// Entries a listing looks at per hold of the lock.
  static constexpr std::size_t k_scan_chunk = 64;

  // Drops the log's oldest entry (the front of append order). Requires: mutex_ held, not empty.
  void drop_oldest();
  [[nodiscard]] static bool aged(const Entry& entry, TimePoint prune_before) {
    return entry.delivery.notification->trigger_time <= prune_before;
  }

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  // Appends waiting for mutex_: between chunks a listing lets them in first (a mutex lets the
  // thread that just released it take it again before a woken waiter, which would make the
  // chunks pointless).
  std::atomic<int> waiting_appends_{0};
  Projects projects_;
  // Append order across projects, one element per entry: the project whose front entry is the
  // log's oldest comes first. (std::map nodes do not move, so the iterators stay valid until
  // the project is erased, which happens only once it holds no entry.)
  std::deque<Projects::iterator> order_;
};

}  // namespace herald::detail
