// The in-memory Store: ordered maps keyed by project and name; the outbox in write order with
// an index by notification_id; final records in a bounded RecordLog.
#include <algorithm>
#include <list>
#include <map>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "herald/store.hpp"
#include "records/record_log.hpp"

namespace herald {
namespace {

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(MemoryStoreOptions options)
      : records_(options.max_records), options_(options) {}

  Result<StoreSnapshot> load() override {
    std::lock_guard lock(mutex_);
    StoreSnapshot snapshot;
    for (const auto& [key, event] : events_) snapshot.events.push_back({key.first, event});
    for (const auto& [key, names] : secrets_)
      snapshot.secrets.push_back({key.first, key.second, names});
    for (const auto& [key, timer] : timers_) snapshot.timers.push_back(timer);
    for (const auto& [sequence, notification] : pending_) {
      snapshot.pending.push_back(notification);
    }
    for (const auto& [key, topic] : topics_) snapshot.topics.push_back(topic);
    for (const auto& [key, subscription] : subscriptions_) {
      snapshot.subscriptions.push_back(subscription);
    }
    snapshot.settings = settings_;
    for (const auto& push : pushes_) {
      if (push.status == "PENDING") snapshot.pending_pushes.push_back(push);
    }
    return snapshot;
  }
  Result<void> put_topic(const StoredTopic& topic) override {
    std::lock_guard lock(mutex_);
    topics_[{topic.project_id, topic.name}] = topic;
    return {};
  }
  Result<void> delete_topic(std::string_view project_id, std::string_view name) override {
    std::lock_guard lock(mutex_);
    topics_.erase({std::string(project_id), std::string(name)});
    std::erase_if(subscriptions_, [&](const auto& entry) {
      return entry.second.project_id == project_id && entry.second.topic_name == name;
    });
    return {};
  }
  Result<void> put_subscription(const StoredSubscription& subscription) override {
    std::lock_guard lock(mutex_);
    subscriptions_[{subscription.project_id, subscription.subscription_id}] = subscription;
    return {};
  }
  Result<void> delete_subscription(std::string_view project_id,
                                   std::string_view subscription_id) override {
    std::lock_guard lock(mutex_);
    subscriptions_.erase({std::string(project_id), std::string(subscription_id)});
    return {};
  }
  Result<void> put_setting(std::string_view name, std::string_view value) override {
    std::lock_guard lock(mutex_);
    settings_[std::string(name)] = std::string(value);
    return {};
  }
  Result<void> put_pushes(std::span<const StoredPush> pushes) override {
    std::lock_guard lock(mutex_);
    for (const auto& push : pushes) {
      const auto key = std::pair{push.message_id, push.subscription_id};
      if (push_index_.contains(key)) continue;
      pushes_.push_back(push);
      pushes_.back().sequence = ++push_sequence_;
      push_index_.emplace(key, std::prev(pushes_.end()));
    }
    // Bounded as the records are: the oldest final pushes go first.
    for (auto it = pushes_.begin(); pushes_.size() > options_.max_records && it != pushes_.end();) {
      if (it->status == "PENDING") {
        ++it;
        continue;
      }
      push_index_.erase({it->message_id, it->subscription_id});
      it = pushes_.erase(it);
    }
    return {};
  }
  Result<void> update_push(const StoredPush& push) override {
    std::lock_guard lock(mutex_);
    const auto it = push_index_.find({push.message_id, push.subscription_id});
    if (it != push_index_.end()) {
      // As the SQLite store: the status and attempts, by message and subscription.
      StoredPush& kept = *it->second;
      kept.status = push.status;
      kept.attempts = push.attempts;
      kept.last_http_status = push.last_http_status;
      kept.last_error = push.last_error;
      kept.next_attempt_time = push.next_attempt_time;
    }
    return {};
  }
  Result<std::vector<StoredPush>> list_pushes(std::string_view project_id,
                                              std::string_view topic_name, std::string_view status,
                                              std::size_t limit, TimePoint prune_before,
                                              std::int64_t before) override {
    std::lock_guard lock(mutex_);
    std::vector<StoredPush> page;
    const auto cut = to_epoch_ms(prune_before);
    for (auto it = pushes_.rbegin(); it != pushes_.rend() && page.size() < limit; ++it) {
      if (it->sequence >= before) continue;
      if (it->project_id != project_id || it->topic_name != topic_name) continue;
      if (!status.empty() && it->status != status) continue;
      if (it->status != "PENDING" && it->timestamp * 1000 <= cut) continue;
      page.push_back(*it);
    }
    return page;
  }
  Result<void> begin_deliveries(std::span<const Notification* const> notifications,
                                TimePoint prune_before) override {
    std::lock_guard lock(mutex_);
    prune_before_ = std::max(prune_before_, prune_before);
    for (const Notification* n : notifications) {
      const auto sequence = next_sequence_++;
      pending_.emplace(sequence, make_notification(fields_of(*n)));
      pending_by_id_.emplace(std::string(n->notification_id), sequence);
    }
    return {};
  }
  Result<void> finish_delivery(std::string_view notification_id, NotificationStatus status,
                               std::string_view reason) override {
    std::shared_ptr<const Notification> finished;
    TimePoint prune_before;
    {
      std::lock_guard lock(mutex_);
      const auto id = pending_by_id_.find(std::string(notification_id));
      if (id == pending_by_id_.end()) return {};  // not (or no longer) in the outbox
      const auto entry = pending_.find(id->second);
      finished = std::move(entry->second);
      pending_.erase(entry);
      pending_by_id_.erase(id);
      prune_before = prune_before_;
    }
    detail::Delivery final[] = {{std::move(finished), status, std::string(reason)}};
    records_.append(final[0].notification->project_id, final, prune_before);
    return {};
  }
  Result<Page<NotificationRecord>> list_records(std::string_view project_id,
                                                const RecordQuery& query,
                                                TimePoint prune_before) override {
    return records_.list(project_id, query, prune_before);
  }
  Result<void> put_event(std::string_view project_id, const Event& event) override {
    std::lock_guard lock(mutex_);
    events_[{std::string(project_id), event.name}] = event;
    return {};
  }
  Result<void> delete_event(std::string_view project_id, std::string_view name) override {
    std::lock_guard lock(mutex_);
    events_.erase({std::string(project_id), std::string(name)});
    return {};
  }
  Result<void> put_secret(std::string_view project_id, std::string_view secret_name,
                          std::span<const std::string> names) override {
    std::lock_guard lock(mutex_);
    secrets_[{std::string(project_id), std::string(secret_name)}].assign(names.begin(),
                                                                         names.end());
    return {};
  }
  Result<void> delete_secret(std::string_view project_id, std::string_view secret_name) override {
    std::lock_guard lock(mutex_);
    secrets_.erase({std::string(project_id), std::string(secret_name)});
    std::erase_if(timers_, [&](const auto& entry) {
      return std::get<0>(entry.first) == project_id && std::get<1>(entry.first) == secret_name;
    });
    return {};
  }
  Result<void> put_timer(const StoredTimer& timer) override {
    std::lock_guard lock(mutex_);
    timers_[{timer.project_id, timer.secret_name, timer.version_id}] = timer;
    return {};
  }
  Result<void> delete_timer(std::string_view project_id, std::string_view secret_name,
                            std::string_view version_id) override {
    std::lock_guard lock(mutex_);
    timers_.erase({std::string(project_id), std::string(secret_name), std::string(version_id)});
    return {};
  }

 private:
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Event> events_;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> secrets_;
  std::map<std::tuple<std::string, std::string, std::string>, StoredTimer> timers_;
  // The outbox, in write order, and where each notification_id stands in it.
  std::map<std::uint64_t, std::shared_ptr<const Notification>> pending_;
  std::unordered_map<std::string, std::uint64_t> pending_by_id_;
  std::uint64_t next_sequence_ = 1;
  TimePoint prune_before_{};
  detail::RecordLog records_;  // final records, bounded; has its own lock
  std::map<std::pair<std::string, std::string>, StoredTopic> topics_;
  std::map<std::pair<std::string, std::string>, StoredSubscription> subscriptions_;
  std::map<std::string, std::string> settings_;
  const MemoryStoreOptions options_;
  std::list<StoredPush> pushes_;  // oldest first
  std::int64_t push_sequence_ = 0;
  std::map<std::pair<std::string, std::string>, std::list<StoredPush>::iterator> push_index_;
};

}  // namespace

std::shared_ptr<Store> memory_store(MemoryStoreOptions options) {
  return std::make_shared<MemoryStore>(options);
}

}  // namespace herald
