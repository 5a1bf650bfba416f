#include "records/record_log.hpp"

#include <algorithm>
#include <charconv>
#include <thread>

namespace herald::detail {

void RecordLog::drop_oldest(Shard& shard, std::vector<Entry>& dropped) {
  const auto project = shard.order.front();
  shard.order.pop_front();
  dropped.push_back(std::move(project->second.entries.front()));
  project->second.entries.pop_front();
  if (project->second.entries.empty()) shard.projects.erase(project);
}

std::size_t RecordLog::my_shard() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t shard = next.fetch_add(1, std::memory_order_relaxed) % k_shards;
  return shard;
}

NotificationRecord record_of(const std::shared_ptr<const Notification>& notification,
                             NotificationStatus status, std::string reason) {
  const Notification& n = *notification;
  return NotificationRecord{.event_name = std::string(n.event_name),
                            .trigger_event_type = n.trigger_event_type,
                            .create_time = n.trigger_time,
                            .secret_name = std::string(n.secret_name),
                            .secret_type = n.secret_type,
                            .notification_target_name = std::string(n.target.target_name),
                            .notification_target_id = std::string(n.target.target_id),
                            .notification_content = Notification::shared_message(notification),
                            .notification_status = status,
                            .notification_id = std::string(n.notification_id),
                            .notification_target_type = std::string(n.target.target_type),
                            .failure_reason = std::move(reason)};
}

std::uint64_t RecordLog::take_sequences(std::string_view project_id, std::size_t count) {
  std::lock_guard lock(sequences_mutex_);
  auto it = sequences_.find(project_id);
  if (it == sequences_.end()) it = sequences_.try_emplace(std::string(project_id), 1).first;
  const std::uint64_t first = it->second;
  it->second += count;
  return first;
}

namespace {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

void RecordLog::append(std::string_view project_id, std::span<Delivery> deliveries,
                       TimePoint prune_before, std::optional<std::uint64_t> first_sequence) {
  if (deliveries.empty()) return;
  std::uint64_t sequence =
      first_sequence ? *first_sequence : take_sequences(project_id, deliveries.size());
  // What is dropped is freed after the lock is released: a notification's strings are most of
  // the cost of dropping it.
  thread_local std::vector<Entry> dropped;
  Shard& shard = shards_[my_shard()];
  shard.waiting_appends.fetch_add(1, std::memory_order_relaxed);
  std::unique_lock lock(shard.mutex, std::try_to_lock);
  // A listing holds the lock for a chunk of about a microsecond: spinning that long is cheaper
  // than sleeping on the mutex and being woken (tens of microseconds).
  for (int spin = 0; !lock.owns_lock() && spin < 4096; ++spin) {
    cpu_relax();
    (void)lock.try_lock();
  }
  if (!lock.owns_lock()) lock.lock();
  shard.waiting_appends.fetch_sub(1, std::memory_order_relaxed);
  auto project = shard.projects.find(project_id);
  if (project == shard.projects.end()) {
    project = shard.projects.try_emplace(std::string(project_id)).first;
  }
  for (auto& delivery : deliveries) {
    project->second.entries.push_back(Entry{sequence++, std::move(delivery)});
    shard.order.push_back(project);
  }
  // The retention, oldest first in append order (an entry appended out of time order waits
  // for the ones before it; listings skip it meanwhile), then the capacity. The count changes
  // by the net difference only: in steady state (one in, one out) it is not written at all.
  const std::size_t added = deliveries.size();
  std::size_t removed = 0;
  while (!shard.order.empty() && aged(shard.order.front()->second.entries.front(), prune_before)) {
    drop_oldest(shard, dropped);
    ++removed;
  }
  const std::size_t total = total_.load(std::memory_order_relaxed) + added - removed;
  for (std::size_t over = total > capacity_ ? total - capacity_ : 0;
       over > 0 && !shard.order.empty(); --over) {
    drop_oldest(shard, dropped);
    ++removed;
  }
  if (added > removed) {
    total_.fetch_add(added - removed, std::memory_order_relaxed);
  } else if (removed > added) {
    total_.fetch_sub(removed - added, std::memory_order_relaxed);
  }
  lock.unlock();
  dropped.clear();
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
  // Newest first, in rounds: each round takes up to k_scan_chunk entries below `before` from
  // every shard, one shard lock at a time. Below the highest point a shard stopped at, some
  // shard was not looked at yet: what lies at or above it is complete, and is taken; the next
  // round starts there. (Appends only add entries above any sequence a listing has reached for
  // long, dropping only removes older ones: the scan resumes by sequence, whatever moved.)
  std::vector<Entry> taken;  // matches, newest first; one more than the page tells "more"
  std::vector<Entry> round;
  bool exhausted = false;
  while (!exhausted && taken.size() <= query.limit) {
    round.clear();
    std::uint64_t boundary = 0;  // everything at or above it was looked at, in every shard
    exhausted = true;
    for (auto& shard : shards_) {
      for (int i = 0; i < 64 && shard.waiting_appends.load(std::memory_order_relaxed) > 0; ++i) {
        std::this_thread::yield();  // appends first, boundedly
      }
      std::lock_guard lock(shard.mutex);
      const auto it = shard.projects.find(project_id);
      if (it == shard.projects.end()) continue;
      const auto& entries = it->second.entries;
      auto cursor =
          std::lower_bound(entries.begin(), entries.end(), before,
                           [](const Entry& e, std::uint64_t s) { return e.sequence < s; });
      std::size_t scanned = 0;
      for (; scanned < k_scan_chunk && cursor != entries.begin(); ++scanned) {
        --cursor;
        if (!aged(*cursor, prune_before) && matches(cursor->delivery)) round.push_back(*cursor);
      }
      if (cursor != entries.begin()) {
        // More below: this shard is only complete down to where it stopped.
        exhausted = false;
        boundary = std::max(boundary, cursor->sequence);
      }
    }
    std::sort(round.begin(), round.end(),
              [](const Entry& a, const Entry& b) { return a.sequence > b.sequence; });
    for (auto& entry : round) {
      if (entry.sequence < boundary || taken.size() > query.limit) break;
      taken.push_back(std::move(entry));
    }
    before = boundary;
  }
  // Records are made without any lock.
  const std::size_t count = std::min(taken.size(), query.limit);
  page.items.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const Delivery& d = taken[i].delivery;
    page.items.push_back(record_of(d.notification, d.status, d.reason));
  }
  if (taken.size() > query.limit) {
    page.page_info.next_marker = std::to_string(taken[query.limit - 1].sequence);
  }
  page.page_info.current_count = page.items.size();
  return page;
}

}  // namespace herald::detail
