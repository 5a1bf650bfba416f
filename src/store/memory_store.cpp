// The in-memory Store: ordered maps keyed by project and name; the outbox in write order with
// an index by notification_id; final records in a bounded RecordLog.
#include <algorithm>
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
  explicit MemoryStore(MemoryStoreOptions options) : records_(options.max_records) {}

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
};

}  // namespace

std::shared_ptr<Store> memory_store(MemoryStoreOptions options) {
  return std::make_shared<MemoryStore>(options);
}

}  // namespace herald
