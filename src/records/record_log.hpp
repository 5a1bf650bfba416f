// The notification record log: per project, every final record, kept for the retention period
// and listed newest first.
//
// Thread-safety: safe for concurrent use. Appends go to one of several shards, chosen once per
// thread, each with its own mutex, so that concurrent triggers do not queue on one lock; a list
// locks every shard and merges them by sequence number. No callback runs under these locks.
#pragma once

#include <array>
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
  explicit RecordLog(std::chrono::milliseconds retention) : retention_(retention) {}

  /// Appends `deliveries` (in order) to the project's log; prunes what `now` has aged out.
  void append(std::string_view project_id, std::span<Delivery> deliveries, TimePoint now);

  /// One page, newest first, after the query's filters. `next_marker` is opaque (a sequence
  /// number). Requires: the query was validated, except for the marker's form.
  /// Errors: invalid_argument (marker not one this log hands out).
  [[nodiscard]] Result<Page<NotificationRecord>> list(std::string_view project_id,
                                                      const RecordQuery& query, TimePoint now);

 private:
  struct Entry {
    std::uint64_t sequence;
    Delivery delivery;
  };
  using ProjectLog = std::deque<Entry>;  // oldest first, sequence ascending
  static constexpr std::size_t k_shards = 8;
  struct alignas(64) Shard {
    std::mutex mutex;
    std::map<std::string, ProjectLog, std::less<>> projects;
  };
  // Drops the records whose age has reached the retention.
  void prune(ProjectLog& log, TimePoint now) const;
  static std::size_t my_shard();

  const std::chrono::milliseconds retention_;
  alignas(64) std::atomic<std::uint64_t> next_sequence_{1};
  std::array<Shard, k_shards> shards_;
};

}  // namespace herald::detail
