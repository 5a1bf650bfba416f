// The notification record log: per project, every final record, kept for the retention period
// and listed newest first.
//
// Thread-safety: safe for concurrent use. Projects are spread over shards, each with its own
// mutex, so that one project's appends and listings do not queue behind another's; a listing
// holds its shard's lock for at most k_scan_chunk entries at a time, so a long filtered scan
// never stalls the project's triggers for long. No callback runs under these locks.
// Markers are per-project sequence numbers: a tenant learns nothing of another's traffic.
#pragma once

#include <array>
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
  struct ProjectLog {
    std::uint64_t next_sequence = 1;
    std::deque<Entry> entries;  // oldest first, sequence ascending
  };
  static constexpr std::size_t k_shards = 16;
  /// Entries a listing looks at per hold of its shard's lock.
  static constexpr std::size_t k_scan_chunk = 512;
  struct alignas(64) Shard {
    std::mutex mutex;
    std::map<std::string, ProjectLog, std::less<>> projects;
  };
  // Drops the records whose age has reached the retention.
  void prune(ProjectLog& log, TimePoint now) const;
  Shard& shard_of(std::string_view project_id);

  const std::chrono::milliseconds retention_;
  std::array<Shard, k_shards> shards_;
};

}  // namespace herald::detail
