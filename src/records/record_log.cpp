#include "records/record_log.hpp"

#include <algorithm>
#include <charconv>

namespace herald::detail {

void RecordLog::prune(ProjectLog& log, TimePoint now) const {
  // A record is kept while its age is below the retention. Records are appended in trigger
  // order, so the oldest are at the front (a clock set backwards only delays their pruning).
  while (!log.entries.empty() && now - log.entries.front().record.create_time >= retention_) {
    log.entries.pop_front();
  }
}

void RecordLog::append(std::string_view project_id, std::span<NotificationRecord> records,
                       TimePoint now) {
  std::lock_guard lock(mutex_);
  auto it = projects_.find(project_id);
  if (it == projects_.end()) it = projects_.try_emplace(std::string(project_id)).first;
  ProjectLog& log = it->second;
  for (auto& record : records) {
    log.entries.push_back(Entry{log.next_sequence++, std::move(record)});
  }
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

  std::lock_guard lock(mutex_);
  const auto it = projects_.find(project_id);
  if (it == projects_.end()) return page;
  ProjectLog& log = it->second;
  prune(log, now);

  const auto matches = [&](const NotificationRecord& r) {
    return (query.event_name.empty() || r.event_name == query.event_name) &&
           (query.secret_name.empty() || r.secret_name == query.secret_name) &&
           (!query.status || r.notification_status == *query.status);
  };
  // Newest first: walk back from the last entry below the marker.
  auto stop = std::lower_bound(log.entries.begin(), log.entries.end(), before,
                               [](const Entry& e, std::uint64_t s) { return e.sequence < s; });
  std::uint64_t last_sequence = 0;
  while (stop != log.entries.begin()) {
    const Entry& entry = *--stop;
    if (!matches(entry.record)) continue;
    if (page.items.size() == query.limit) {
      page.page_info.next_marker = std::to_string(last_sequence);
      break;
    }
    page.items.push_back(entry.record);
    last_sequence = entry.sequence;
  }
  page.page_info.current_count = page.items.size();
  return page;
}

}  // namespace herald::detail
