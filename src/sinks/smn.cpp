// The SMN stand-in: topics per project, messages kept per topic, subscribers called.
#include "herald/smn.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "herald/store.hpp"
#include "validate/validate.hpp"

namespace herald {
namespace {

using validate::parse_smn_urn;

struct TopicState {
  SmnTopic topic;
  std::deque<std::string> messages;  // the newest, at most kept_messages_per_topic
  std::vector<std::function<void(const std::string&)>> subscribers;
};

}  // namespace

struct SmnTopics::Impl {
  std::string region;
  SmnOptions options;
  std::shared_ptr<Store> store;  // null: topics live in memory only
  mutable std::shared_mutex mutex;
  // project → topic name → topic
  std::map<std::string, std::map<std::string, TopicState, std::less<>>, std::less<>> projects;

  // The topic `urn` names in `project_id`, or null. Requires: mutex held.
  TopicState* find(std::string_view project_id, std::string_view urn) {
    const auto parsed = parse_smn_urn(urn);
    if (!parsed || parsed->region != region || parsed->project_id != project_id) return nullptr;
    const auto project = projects.find(project_id);
    if (project == projects.end()) return nullptr;
    const auto topic = project->second.find(parsed->topic);
    return topic == project->second.end() ? nullptr : &topic->second;
  }
};

namespace {
Error topic_not_found(std::string_view urn) {
  return Error{ErrorCode::not_found, fmt::format("topic_urn: no topic {}", urn)};
}
}  // namespace

SmnTopics::SmnTopics(std::string region, SmnOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->region = std::move(region);
  impl_->options = options;
}
SmnTopics::~SmnTopics() = default;

Result<std::shared_ptr<SmnTopics>> SmnTopics::open(std::string region, std::shared_ptr<Store> store,
                                                   SmnOptions options) {
  auto snapshot = store->load();
  if (!snapshot) return std::move(snapshot).error();
  // The quota is not applied to what was stored: a lowered quota must not lose topics.
  auto topics = std::make_shared<SmnTopics>(std::move(region), options);
  for (const auto& stored : snapshot->topics) {
    if (!validate::is_topic_name(stored.name) || !validate::project_id(stored.project_id)) {
      return Error{ErrorCode::unavailable, fmt::format("store: topic {} of project {} is not valid",
                                                       stored.name, stored.project_id)};
    }
    SmnTopic topic{
        fmt::format("urn:smn:{}:{}:{}", topics->impl_->region, stored.project_id, stored.name),
        stored.name, stored.display_name};
    topics->impl_->projects[stored.project_id].emplace(stored.name, TopicState{topic, {}, {}});
  }
  topics->impl_->store = std::move(store);
  return topics;
}

const std::string& SmnTopics::region() const noexcept { return impl_->region; }

Result<SmnTopicCreated> SmnTopics::create_topic(std::string_view project_id, std::string_view name,
                                                std::string_view display_name) {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (auto r = validate::topic_name(name); !r) return r.error();
  if (auto r = validate::topic_display_name(display_name); !r) return r.error();
  std::unique_lock lock(impl_->mutex);
  auto& topics = impl_->projects[std::string(project_id)];
  if (const auto it = topics.find(name); it != topics.end()) {
    return SmnTopicCreated{it->second.topic, false};
  }
  if (topics.size() >= impl_->options.max_topics_per_project) {
    return Error{ErrorCode::quota_exceeded,
                 fmt::format("name: a project may hold at most {} topics",
                             impl_->options.max_topics_per_project)};
  }
  SmnTopic topic{fmt::format("urn:smn:{}:{}:{}", impl_->region, project_id, name),
                 std::string(name), std::string(display_name)};
  if (impl_->store) {
    if (auto r = impl_->store->put_topic({std::string(project_id), topic.name, topic.display_name});
        !r) {
      return r.error();
    }
  }
  topics.emplace(std::string(name), TopicState{topic, {}, {}});
  return SmnTopicCreated{std::move(topic), true};
}

Result<SmnTopicPage> SmnTopics::list_topics(std::string_view project_id, std::size_t offset,
                                            std::size_t limit) const {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  std::shared_lock lock(impl_->mutex);
  SmnTopicPage page;
  const auto project = impl_->projects.find(project_id);
  if (project == impl_->projects.end()) return page;
  const auto& topics = project->second;
  page.topic_count = topics.size();
  if (offset >= topics.size()) return page;
  auto it = std::next(topics.begin(), static_cast<std::ptrdiff_t>(offset));
  for (; it != topics.end() && page.topics.size() < limit; ++it) {
    page.topics.push_back(it->second.topic);
  }
  return page;
}

Result<SmnTopic> SmnTopics::show_topic(std::string_view project_id,
                                       std::string_view topic_urn) const {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  std::shared_lock lock(impl_->mutex);
  const auto* state = impl_->find(project_id, topic_urn);
  if (state == nullptr) return topic_not_found(topic_urn);
  return state->topic;
}

Result<void> SmnTopics::delete_topic(std::string_view project_id, std::string_view topic_urn) {
  if (auto r = validate::project_id(project_id); !r) return r;
  std::unique_lock lock(impl_->mutex);
  if (impl_->find(project_id, topic_urn) == nullptr) return topic_not_found(topic_urn);
  if (impl_->store) {
    if (auto r = impl_->store->delete_topic(project_id, parse_smn_urn(topic_urn)->topic); !r) return r;
  }
  auto& topics = impl_->projects.find(project_id)->second;
  topics.erase(topics.find(parse_smn_urn(topic_urn)->topic));
  return {};
}

Result<std::vector<std::string>> SmnTopics::messages(std::string_view project_id,
                                                     std::string_view topic_urn) const {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  std::shared_lock lock(impl_->mutex);
  const auto* state = impl_->find(project_id, topic_urn);
  if (state == nullptr) return topic_not_found(topic_urn);
  return std::vector<std::string>(state->messages.begin(), state->messages.end());
}

Result<void> SmnTopics::subscribe(std::string_view project_id, std::string_view topic_urn,
                                  std::function<void(const std::string&)> subscriber) {
  if (auto r = validate::project_id(project_id); !r) return r;
  std::unique_lock lock(impl_->mutex);
  auto* state = impl_->find(project_id, topic_urn);
  if (state == nullptr) return topic_not_found(topic_urn);
  state->subscribers.push_back(std::move(subscriber));
  return {};
}

SinkOutcome SmnTopics::publish(const Notification& notification) {
  const std::string_view urn = notification.target.target_id;
  const auto parsed = parse_smn_urn(urn);
  if (!parsed) {
    return SinkOutcome::invalid_target(
        fmt::format("target_id {} is not urn:smn:{{region}}:{{project_id}}:{{topic}}", urn));
  }
  if (parsed->region != impl_->region) {
    return SinkOutcome::failed(
        fmt::format("topic {} does not exist: this SMN serves region {}", urn, impl_->region));
  }
  if (parsed->project_id != notification.project_id) {
    return SinkOutcome::failed(fmt::format("topic {} belongs to another project", urn));
  }
  std::vector<std::function<void(const std::string&)>> subscribers;
  {
    std::unique_lock lock(impl_->mutex);
    auto* state = impl_->find(notification.project_id, urn);
    if (state == nullptr) return SinkOutcome::failed(fmt::format("topic {} does not exist", urn));
    if (impl_->options.kept_messages_per_topic > 0) {
      if (state->messages.size() == impl_->options.kept_messages_per_topic) {
        state->messages.pop_front();
      }
      state->messages.emplace_back(notification.message());
    }
    subscribers = state->subscribers;
  }
  if (!subscribers.empty()) {
    const std::string message(notification.message());
    for (const auto& subscriber : subscribers) subscriber(message);
  }
  return SinkOutcome::delivered();
}

SinkFunction smn_sink(std::shared_ptr<SmnTopics> topics) {
  return [topics = std::move(topics)](const Notification& notification) {
    return topics->publish(notification);
  };
}

}  // namespace herald
