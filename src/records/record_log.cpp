#include "records/record_log.hpp"

#include <algorithm>
#include <charconv>
#include <thread>

namespace herald::detail {

void RecordLog::drop_oldest() {
  const auto project = order_.front();
  order_.pop_front();
  project->second.entries.pop_front();
  // An empty project is forgotten (its sequence restarts: a marker from before names nothing).
  if (project->second.entries.empty()) projects_.erase(project);
}

std::size_t RecordLog::size() const {
  std::lock_guard lock(mutex_);
  return order_.size();
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

void RecordLog::append(std::string_view project_id, std::span<Delivery> deliveries,
                       TimePoint prune_before) {
  waiting_appends_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  waiting_appends_.fetch_sub(1, std::memory_order_relaxed);
  auto project = projects_.find(project_id);
  if (project == projects_.end()) project = projects_.try_emplace(std::string(project_id)).first;
  for (auto& delivery : deliveries) {
    auto& log = project->second;
    log.entries.push_back(Entry{log.next_sequence++, std::move(delivery)});
    order_.push_back(project);
  }
  // The retention, oldest first in append order (an entry appended out of time order waits
  // for the ones before it; listings skip it meanwhile), then the capacity.
  while (!order_.empty() && aged(order_.front()->second.entries.front(), prune_before))
    drop_oldest();
  while (order_.size() > capacity_) drop_oldest();
}

Result<Page<NotificationRecord>> RecordLog::list(std::string_view project_id,
                                                 const RecordQuery& query, TimePoint prune_before) {
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

  const auto matches = [&](const Delivery& d) {
    return (query.event_name.empty() || d.notification->event_name == query.event_name) &&
           (query.secret_name.empty() || d.notification->secret_name == query.secret_name) &&
           (!query.status || d.status == *query.status);
  };
  // Newest first, one chunk per hold of the lock; between chunks triggers go on (appends only
  // add newer entries, dropping only removes older ones: the scan resumes by sequence, whatever
  // moved).
  std::vector<Entry> taken;  // matches, newest first; one more than the page tells "more"
  bool more_to_scan = true;
  for (bool first = true; more_to_scan && taken.size() <= query.limit; first = false) {
    if (!first) {
      // Appends first (boundedly: a listing still ends under a steady stream of triggers).
      for (int i = 0; i < 64 && waiting_appends_.load(std::memory_order_relaxed) > 0; ++i) {
        std::this_thread::yield();
      }
    }
    std::lock_guard lock(mutex_);
    const auto it = projects_.find(project_id);
    if (it == projects_.end()) break;
    const auto& entries = it->second.entries;
    auto cursor = std::lower_bound(entries.begin(), entries.end(), before,
                                   [](const Entry& e, std::uint64_t s) { return e.sequence < s; });
    for (std::size_t scanned = 0; scanned < k_scan_chunk; ++scanned) {
      if (cursor == entries.begin()) {
        more_to_scan = false;
        break;
      }
      --cursor;
      before = cursor->sequence;
      if (!aged(*cursor, prune_before) && matches(cursor->delivery)) {
        taken.push_back(*cursor);
        if (taken.size() > query.limit) break;
      }
    }
  }
  // Records are made without the lock.
  const std::size_t count = std::min(taken.size(), query.limit);
  page.items.reserve(count);
  for (std::size_t i = 0; i < count; ++i) page.items.push_back(record_of(taken[i].delivery));
  if (taken.size() > query.limit) {
    page.page_info.next_marker = std::to_string(taken[query.limit - 1].sequence);
  }
  page.page_info.current_count = page.items.size();
  return page;
}

}  // namespace herald::detail
