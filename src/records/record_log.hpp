// The notification record log in memory: per project, final records (of an engine without a
// store, or in the memory store), listed newest first, those at or before a pruning time gone,
// at most `capacity` in all.
//
// Thread-safety: safe for concurrent use. Appends go to one of k_shards shards, chosen once per
// thread, each with its own mutex, so that concurrent triggers write no shared cache line but
// the count. A listing visits the shards in rounds, holding each shard's lock for at most
// k_scan_chunk entries and letting waiting appends in first, so a long filtered scan never
// stalls triggers (its own project's or another's) for long. No callback runs under the locks.
//
// Order and markers: each record carries its project's sequence number (handed out by the
// caller, or by append when none is given); listings merge the shards by it, newest first, and
// markers are those numbers: a tenant learns nothing of another's traffic.
//
// The capacity: an append that takes the log over it drops as many, the oldest of the appending
// thread's shard. With one thread appending the count is exact and what goes is the engine's
// oldest; with several it may exceed the capacity by as many records as threads append at that
// moment (the next append drops them), and what goes is close to the oldest.
#pragma once

#include <array>
#include <atomic>
#include <boost/circular_buffer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

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

/// The record of a delivery of `notification` that ended with `status` (and `reason`).
[[nodiscard]] NotificationRecord record_of(const std::shared_ptr<const Notification>& notification,
                                           NotificationStatus status, std::string reason);

/// A FIFO with random access that grows by doubling and keeps its room once grown: in steady
/// state (as many records dropped as added) an append allocates nothing, where std::deque
/// allocates a block every few entries.
template <typename T>
class Ring {
 public:
  void push_back(T value) {
    if (buffer_.full()) buffer_.set_capacity(std::max<std::size_t>(16, buffer_.capacity() * 2));
    buffer_.push_back(std::move(value));
  }
  void pop_front() { buffer_.pop_front(); }
  [[nodiscard]] T& front() { return buffer_.front(); }
  [[nodiscard]] const T& front() const { return buffer_.front(); }
  [[nodiscard]] bool empty() const noexcept { return buffer_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return buffer_.size(); }
  [[nodiscard]] auto begin() const { return buffer_.begin(); }
  [[nodiscard]] auto end() const { return buffer_.end(); }

 private:
  boost::circular_buffer<T> buffer_;
};

class RecordLog {
 public:
  /// A capacity of 0 keeps nothing.
  explicit RecordLog(std::size_t capacity) : capacity_(capacity) {}

  /// Appends `deliveries` (in order) to the project's log, numbered from `first_sequence` (the
  /// project's next sequence numbers, handed out increasing per project), or, without one, from
  /// the log's own count for the project. Drops the records whose trigger_time is at or before
  /// `prune_before` (the retention), and the oldest beyond the capacity.
  void append(std::string_view project_id, std::span<Delivery> deliveries, TimePoint prune_before,
              std::optional<std::uint64_t> first_sequence = std::nullopt);

  /// One page, newest first, after the query's filters; a record whose trigger_time is at or
  /// before `prune_before` is never listed. `next_marker` is opaque (a sequence number of the
  /// project). Requires: the query was validated, except for the marker's form.
  /// Errors: invalid_argument (marker not one this log hands out).
  [[nodiscard]] Result<Page<NotificationRecord>> list(std::string_view project_id,
                                                      const RecordQuery& query,
                                                      TimePoint prune_before);

  /// Records held, in all projects.
  [[nodiscard]] std::size_t size() const noexcept { return total_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::uint64_t sequence;
    Delivery delivery;
  };
  struct ProjectLog {
    Ring<Entry> entries;  // oldest first, sequence ascending
  };
  using Projects = std::map<std::string, ProjectLog, std::less<>>;
  static constexpr std::size_t k_shards = 8;
  /// Entries a listing looks at per hold of a shard's lock.
  static constexpr std::size_t k_scan_chunk = 64;
  struct alignas(64) Shard {
    std::mutex mutex;
    Projects projects;
    // Append order in this shard, one element per entry: the front's project holds the shard's
    // oldest entry. (std::map nodes do not move; a project is erased only once empty.)
    Ring<Projects::iterator> order;
    // Appends waiting for `mutex`: a listing lets them in first between chunks (a mutex lets
    // the thread that just released it take it again before a woken waiter).
    std::atomic<int> waiting_appends{0};
  };

  // Moves the shard's oldest entry to `dropped`. Requires: the shard's mutex held, not empty.
  static void drop_oldest(Shard& shard, std::vector<Entry>& dropped);
  [[nodiscard]] static bool aged(const Entry& entry, TimePoint prune_before) {
    return entry.delivery.notification->trigger_time <= prune_before;
  }
  static std::size_t my_shard();
  std::uint64_t take_sequences(std::string_view project_id, std::size_t count);

  const std::size_t capacity_;
  alignas(64) std::atomic<std::size_t> total_{0};
  std::array<Shard, k_shards> shards_;
  // The log's own per-project count, for appends that bring no sequence (the memory store).
  std::mutex sequences_mutex_;
  std::map<std::string, std::uint64_t, std::less<>> sequences_;
};

}  // namespace herald::detail
