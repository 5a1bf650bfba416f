// The in-memory Store: ordered maps keyed by project and name.
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "herald/store.hpp"

namespace herald {
namespace {

class MemoryStore final : public Store {
 public:
  Result<StoreSnapshot> load() override {
    std::lock_guard lock(mutex_);
    StoreSnapshot snapshot;
    for (const auto& [key, event] : events_) snapshot.events.push_back({key.first, event});
    for (const auto& [key, names] : secrets_)
      snapshot.secrets.push_back({key.first, key.second, names});
    for (const auto& [key, timer] : timers_) snapshot.timers.push_back(timer);
    snapshot.deliveries.assign(deliveries_.begin(), deliveries_.end());
    for (const auto& [key, topic] : topics_) snapshot.topics.push_back(topic);
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
    return {};
  }
  Result<void> begin_deliveries(std::span<const Notification* const> notifications,
                                TimePoint prune_before) override {
    std::lock_guard lock(mutex_);
    std::erase_if(deliveries_, [&](const StoredDelivery& d) {
      return d.status && d.notification.trigger_time <= prune_before;
    });
    for (const Notification* n : notifications) deliveries_.push_back({*n, std::nullopt, {}});
    return {};
  }
  Result<void> finish_delivery(std::string_view notification_id, NotificationStatus status,
                               std::string_view reason) override {
    std::lock_guard lock(mutex_);
    for (auto& d : deliveries_) {
      if (d.notification.notification_id == notification_id) {
        d.status = status;
        d.reason = std::string(reason);
      }
    }
    return {};
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
  std::vector<StoredDelivery> deliveries_;
  std::map<std::pair<std::string, std::string>, StoredTopic> topics_;
};

}  // namespace

std::shared_ptr<Store> memory_store() { return std::make_shared<MemoryStore>(); }

}  // namespace herald
