// The notification record log: per project, every final record, kept for the retention period
// and listed newest first.
//
// Thread-safety: safe for concurrent use (one mutex; no callback runs under it).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <span>
#include <string>

#include "herald/error.hpp"
#include "herald/page.hpp"
#include "herald/record.hpp"

namespace herald::detail {

class RecordLog {
 public:
  explicit RecordLog(std::chrono::milliseconds retention) : retention_(retention) {}

  /// Appends `records` (in order) to the project's log; prunes what `now` has aged out.
  void append(std::string_view project_id, std::span<NotificationRecord> records, TimePoint now);

  /// One page, newest first, after the query's filters. `next_marker` is opaque (a sequence
  /// number). Requires: the query was validated, except for the marker's form.
  /// Errors: invalid_argument (marker not one this log hands out).
  [[nodiscard]] Result<Page<NotificationRecord>> list(std::string_view project_id,
                                                      const RecordQuery& query, TimePoint now);

 private:
  struct Entry {
    std::uint64_t sequence;
    NotificationRecord record;
  };
  struct ProjectLog {
    std::uint64_t next_sequence = 1;
    std::deque<Entry> entries;  // oldest first, sequence ascending
  };
  // Drops the records whose age has reached the retention.
  void prune(ProjectLog& log, TimePoint now) const;

  const std::chrono::milliseconds retention_;
  std::mutex mutex_;
  std::map<std::string, ProjectLog, std::less<>> projects_;
};

}  // namespace herald::detail
