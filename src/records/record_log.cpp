#include "records/record_log.hpp"

#include <algorithm>
#include <charconv>

namespace herald::detail {

void RecordLog::prune(ProjectLog& log, TimePoint now) const {
  // A record is kept while its age is below the retention. Records are appended in trigger
  // order, so the oldest are at the front (a clock set backwards only delays their pruning).
  while (!log.empty() && now - log.front().delivery.notification->trigger_time >= retention_) {
    log.pop_front();
  }
}

std::size_t RecordLog::my_shard() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t shard = next.fetch_add(1, std::memory_order_relaxed) % k_shards;
  return shard;
}

namespace {

NotificationRecord record_of(const Delivery& d) {
  const Notification& n = *d.notification;
  return NotificationRecord{.event_name = n.event_name,
                            .trigger_event_type = n.trigger_event_type,
                            .create_time = n.trigger_time,
                            .secret_name = n.secret_name,
                            .secret_type = n.secret_type,
                            .notification_target_name = n.target.target_name,
                            .notification_target_id = n.target.target_id,
                            .notification_content = n.payload,
                            .notification_status = d.status,
                            .notification_id = n.notification_id,
                            .notification_target_type = n.target.target_type,
                            .failure_reason = d.reason};
}

}  // namespace

void RecordLog::append(std::string_view project_id, std::span<Delivery> deliveries, TimePoint now) {
  Shard& shard = shards_[my_shard()];
  std::lock_guard lock(shard.mutex);
  auto it = shard.projects.find(project_id);
  if (it == shard.projects.end()) it = shard.projects.try_emplace(std::string(project_id)).first;
  ProjectLog& log = it->second;
  // Taken under the shard's lock, so each shard's log stays in sequence order.
  std::uint64_t sequence = next_sequence_.fetch_add(deliveries.size(), std::memory_order_relaxed);
  for (auto& delivery : deliveries) log.push_back(Entry{sequence++, std::move(delivery)});
  prune(log, now);
}

Result<Page<NotificationRecord>> RecordLog::list(std::string_view project_id,
                                                 const RecordQuery& query, TimePoint now) {
  std::uint64_t before = UINT64_MAX;  // list records whose sequence is below this
  if (!query.marker.empty()) {
    const char* end = query.marker.data() + query.marker.size();
    const auto [stop, ec] = std::from_chars(query.marker.data(), end, before);
    if (ec != std::errc{} || stop != end || before == 0) {
      return Error{ErrorCode::invalid_argument,
                   "marker: must be the next_marker of a previous page of records"};
    }
  }
  Page<NotificationRecord> page;
  if (!query.marker.empty()) page.page_info.previous_marker = query.marker;

  // Every shard, locked in order; newest first is a merge of the shards by sequence.
  std::array<std::unique_lock<std::mutex>, k_shards> locks;
  for (std::size_t i = 0; i < k_shards; ++i) locks[i] = std::unique_lock(shards_[i].mutex);

  const auto matches = [&](const Delivery& d) {
    return (query.event_name.empty() || d.notification->event_name == query.event_name) &&
           (query.secret_name.empty() || d.notification->secret_name == query.secret_name) &&
           (!query.status || d.status == *query.status);
  };
  struct Cursor {
    ProjectLog::const_iterator begin, current;  // current: one past the next entry to take
  };
  std::vector<Cursor> cursors;
  for (auto& shard : shards_) {
    const auto it = shard.projects.find(project_id);
    if (it == shard.projects.end()) continue;
    prune(it->second, now);
    const auto& log = it->second;
    const auto stop =
        std::lower_bound(log.begin(), log.end(), before,
                         [](const Entry& e, std::uint64_t s) { return e.sequence < s; });
    cursors.push_back(Cursor{log.begin(), stop});
  }
  std::uint64_t last_sequence = 0;
  while (true) {
    Cursor* newest = nullptr;
    for (auto& cursor : cursors) {
      if (cursor.current == cursor.begin) continue;
      if (newest == nullptr ||
          std::prev(cursor.current)->sequence > std::prev(newest->current)->sequence) {
        newest = &cursor;
      }
    }
    if (newest == nullptr) break;
    const Entry& entry = *--newest->current;
    if (!matches(entry.delivery)) continue;
    if (page.items.size() == query.limit) {
      page.page_info.next_marker = std::to_string(last_sequence);
      break;
    }
    page.items.push_back(record_of(entry.delivery));
    last_sequence = entry.sequence;
  }
  page.page_info.current_count = page.items.size();
  return page;
}

}  // namespace herald::detail
