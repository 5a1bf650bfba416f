// The SMN stand-in: topics per project, messages kept per topic, subscribers called.
#include "herald/smn.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <stop_token>
#include <thread>
#include <tuple>

#include <openssl/rand.h>

#include "herald/store.hpp"
#include "model/uuid.hpp"
#include "sinks/smn_pusher.hpp"
#include "sinks/smn_signing.hpp"
#include "validate/endpoint.hpp"
#include "validate/validate.hpp"

namespace herald {
namespace {

using validate::parse_smn_urn;

struct SubscriptionState {
  SmnSubscription subscription;
  std::string signing_secret;
  std::string confirm_token;
  std::string unsubscribe_token;
};

struct TopicState {
  SmnTopic topic;
  std::deque<std::string> messages;  // the newest, at most kept_messages_per_topic
  std::vector<std::function<void(const std::string&)>> subscribers;
  std::map<std::string, SubscriptionState, std::less<>> subscriptions;  // by subscription id
};

constexpr std::size_t k_max_remark = 128;
constexpr std::string_view k_signing_key_setting = "smn.signing_key";

// 128 random bits as 32 lower-case hex digits: subscription ids and the tokens of the URLs
// herald hands out.
std::string random_hex128() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    throw std::runtime_error("herald: the random generator (OpenSSL RAND_bytes) failed");
  }
  std::string text;
  for (const unsigned char b : bytes) text += fmt::format("{:02x}", b);
  return text;
}

bool is_hex128(std::string_view text) {
  return text.size() == 32 && std::ranges::all_of(text, [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// `{topic_urn}:{id}` → (topic_urn, id), or nullopt.
std::optional<std::pair<std::string_view, std::string_view>> split_subscription_urn(
    std::string_view urn) {
  const auto colon = urn.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto id = urn.substr(colon + 1);
  if (!is_hex128(id)) return std::nullopt;
  return std::pair{urn.substr(0, colon), id};
}

Error subscription_not_found(std::string_view urn) {
  return Error{ErrorCode::not_found, fmt::format("subscription_urn: no subscription {}", urn)};
}

StoredSubscription stored(std::string_view project_id, const TopicState& topic, std::string_view id,
                          const SubscriptionState& s) {
  return StoredSubscription{
      std::string(project_id),    topic.topic.name,        std::string(id),
      s.subscription.protocol,    s.subscription.endpoint, s.subscription.remark,
      s.subscription.status == 1, s.signing_secret,        s.confirm_token,
      s.unsubscribe_token};
}

}  // namespace

struct SmnTopics::Impl {
  std::string region;
  SmnOptions options;
  std::shared_ptr<Store> store;            // null: topics live in memory only
  std::string signing_key_pem;             // the stored SMN signing key, when the store had one
  std::vector<StoredPush> pending_pushes;  // found at open, resumed by start_pushing
  mutable std::shared_mutex mutex;
  // project → topic name → topic
  std::map<std::string, std::map<std::string, TopicState, std::less<>>, std::less<>> projects;

  // Pushes to subscriptions, once start_pushing() ran; reset first in ~SmnTopics (its workers
  // call back into this object).
  std::unique_ptr<detail::SmnPusher> pusher;
  std::string public_url;  // without a trailing slash
  std::chrono::milliseconds log_retention{std::chrono::days{90}};
  TimePoint prune_before() const {
    return std::chrono::time_point_cast<TimePoint::duration>(std::chrono::system_clock::now()) -
           log_retention;
  }

  std::string link(std::string_view path, std::string_view token) const {
    return fmt::format("{}/v2/smn/subscriptions/{}?token={}", public_url, path, token);
  }
  std::string certificate_url() const {
    return fmt::format("{}/v2/smn/certificates/{}.pem", public_url, pusher->key().key_id());
  }

  // token → (project, subscription urn), for subscribe_url and unsubscribe_url.
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> confirm_tokens;
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> unsubscribe_tokens;

  void index(std::string_view project_id, const SubscriptionState& s) {
    confirm_tokens[s.confirm_token] = {std::string(project_id), s.subscription.subscription_urn};
    unsubscribe_tokens[s.unsubscribe_token] = {std::string(project_id),
                                               s.subscription.subscription_urn};
  }
  void unindex(const SubscriptionState& s) {
    confirm_tokens.erase(s.confirm_token);
    unsubscribe_tokens.erase(s.unsubscribe_token);
  }

  // Makes the topics and subscriptions of `snapshot` (checked as at open) the ones served,
  // keeping what each topic that stays had in this process (its recent messages and
  // in-process subscribers). Requires: mutex held exclusively, or no other thread yet.
  Result<void> install(const StoreSnapshot& snapshot);
  // The same for one project only: its topics and subscriptions become `snapshot`'s (which
  // holds that project's alone).
  Result<void> install_project(std::string_view project_id, const StoreSnapshot& snapshot);
  // Shared stores: a change of the project's topics or subscriptions decided on what the
  // database holds: the project is locked there and its topics re-read into memory first. Null
  // with any other store (nothing to do). Requires: mutex held exclusively.
  Result<std::unique_ptr<ProjectChange>> begin(std::string_view project_id);
  // Commits the change `begin` made (if any). Requires: mutex held exclusively.
  static Result<void> commit(std::unique_ptr<ProjectChange>& change);
  // Shared stores: follows the other processes' topics and subscriptions, and takes over the
  // pushes of processes that ended once pushing started.
  void follow(const std::stop_token& stop);
  // Hands a stored pending push to the pusher, or marks it FAILED when its subscription is
  // gone or not confirmed. Requires: pusher, mutex held (shared is enough).
  void resume(StoredPush& stored);
  std::jthread follower;  // stopped first in ~SmnTopics

  // The subscription `urn` names in `project_id` and its topic, or nulls. Requires: mutex held.
  std::pair<TopicState*, SubscriptionState*> find_subscription(std::string_view project_id,
                                                               std::string_view urn) {
    const auto parts = split_subscription_urn(urn);
    if (!parts) return {nullptr, nullptr};
    auto* topic = find(project_id, parts->first);
    if (topic == nullptr) return {nullptr, nullptr};
    const auto it = topic->subscriptions.find(parts->second);
    return {topic, it == topic->subscriptions.end() ? nullptr : &it->second};
  }

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
SmnTopics::~SmnTopics() {
  impl_->follower = {};
  impl_->pusher.reset();
}

Result<void> SmnTopics::Impl::install(const StoreSnapshot& snapshot) {
  decltype(projects) fresh;
  decltype(confirm_tokens) fresh_confirm;
  decltype(unsubscribe_tokens) fresh_unsubscribe;
  for (const auto& stored : snapshot.topics) {
    if (!validate::is_topic_name(stored.name) || !validate::project_id(stored.project_id)) {
      return Error{ErrorCode::unavailable, fmt::format("store: topic {} of project {} is not valid",
                                                       stored.name, stored.project_id)};
    }
    SmnTopic topic{fmt::format("urn:smn:{}:{}:{}", region, stored.project_id, stored.name),
                   stored.name, stored.display_name};
    TopicState state{topic, {}, {}, {}};
    if (const auto project = projects.find(stored.project_id); project != projects.end()) {
      if (const auto kept = project->second.find(stored.name); kept != project->second.end()) {
        state.messages = kept->second.messages;
        state.subscribers = kept->second.subscribers;
      }
    }
    fresh[stored.project_id].emplace(stored.name, std::move(state));
  }
  for (const auto& stored : snapshot.subscriptions) {
    const auto damaged = [&](std::string_view what) {
      return Error{ErrorCode::unavailable,
                   fmt::format("store: subscription {} of topic {} of project {}: {}",
                               stored.subscription_id, stored.topic_name, stored.project_id, what)};
    };
    const auto project = fresh.find(stored.project_id);
    const auto topic = project == fresh.end() ? decltype(project->second.end()){}
                                              : project->second.find(stored.topic_name);
    if (project == fresh.end() || topic == project->second.end()) {
      return damaged("its topic is not stored");
    }
    if (!is_hex128(stored.subscription_id) || !is_hex128(stored.confirm_token) ||
        !is_hex128(stored.unsubscribe_token)) {
      return damaged("an id or token is not 32 hex digits");
    }
    if (auto r = validate::subscription_endpoint(stored.protocol, stored.endpoint); !r) {
      return damaged(r.error().message());
    }
    if (!stored.signing_secret.starts_with("whsec_")) return damaged("a malformed signing secret");
    SubscriptionState state{
        SmnSubscription{fmt::format("{}:{}", topic->second.topic.topic_urn, stored.subscription_id),
                        topic->second.topic.topic_urn, stored.protocol, stored.endpoint,
                        stored.remark, stored.project_id, stored.confirmed ? 1 : 0},
        stored.signing_secret, stored.confirm_token, stored.unsubscribe_token};
    fresh_confirm[state.confirm_token] = {stored.project_id, state.subscription.subscription_urn};
    fresh_unsubscribe[state.unsubscribe_token] = {stored.project_id,
                                                  state.subscription.subscription_urn};
    topic->second.subscriptions.emplace(stored.subscription_id, std::move(state));
  }
  projects = std::move(fresh);
  confirm_tokens = std::move(fresh_confirm);
  unsubscribe_tokens = std::move(fresh_unsubscribe);
  return {};
}

Result<void> SmnTopics::Impl::install_project(std::string_view project_id,
                                              const StoreSnapshot& snapshot) {
  // Everything else stays as it is: install() over this project's rows and the others' as held.
  StoreSnapshot all = snapshot;
  for (const auto& [project, topics] : projects) {
    if (project == project_id) continue;
    for (const auto& [name, topic] : topics) {
      all.topics.push_back({project, name, topic.topic.display_name});
      for (const auto& [id, s] : topic.subscriptions) {
        all.subscriptions.push_back(stored(project, topic, id, s));
      }
    }
  }
  return install(all);
}

Result<std::unique_ptr<ProjectChange>> SmnTopics::Impl::begin(std::string_view project_id) {
  if (!store || !store->shared()) return std::unique_ptr<ProjectChange>{};
  auto change = store->begin_change(project_id);
  if (!change) return std::move(change).error();
  auto state = (*change)->load();
  if (!state) return std::move(state).error();
  StoreSnapshot held;
  held.topics = std::move(state->topics);
  held.subscriptions = std::move(state->subscriptions);
  if (auto r = install_project(project_id, held); !r) return r.error();
  return change;
}

Result<void> SmnTopics::Impl::commit(std::unique_ptr<ProjectChange>& change) {
  if (!change) return {};
  auto committed = change->commit();
  change.reset();
  if (!committed) return committed.error();
  return {};
}

void SmnTopics::Impl::follow(const std::stop_token& stop) {
  using namespace std::chrono_literals;
  std::mutex wait_mutex;
  std::condition_variable_any wake;
  auto last_takeover = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock wait_lock(wait_mutex);
      if (wake.wait_for(wait_lock, stop, 500ms, [] { return false; }) || stop.stop_requested()) {
        return;
      }
    }
    if (auto snapshot = store->load_topics(); snapshot) {
      std::unique_lock lock(mutex);
      (void)install(*snapshot);  // a damaged row keeps the topics served as they were
    }
    std::unique_lock lock(mutex);
    if (!pusher || std::chrono::steady_clock::now() - last_takeover < 1s) continue;
    last_takeover = std::chrono::steady_clock::now();
    lock.unlock();
    auto orphans = store->claim_orphan_pushes(256);
    if (!orphans) continue;
    std::shared_lock shared(mutex);
    for (auto& stored : *orphans) resume(stored);
  }
}

Result<std::shared_ptr<SmnTopics>> SmnTopics::open(std::string region, std::shared_ptr<Store> store,
                                                   SmnOptions options) {
  auto snapshot = store->load();
  if (!snapshot) return std::move(snapshot).error();
  // The quota is not applied to what was stored: a lowered quota must not lose topics.
  auto topics = std::make_shared<SmnTopics>(std::move(region), options);
  if (auto r = topics->impl_->install(*snapshot); !r) return r.error();
  if (const auto key = snapshot->settings.find(std::string(k_signing_key_setting));
      key != snapshot->settings.end()) {
    topics->impl_->signing_key_pem = key->second;
  }
  topics->impl_->pending_pushes = std::move(snapshot->pending_pushes);
  const bool shared = store->shared();
  topics->impl_->store = std::move(store);
  if (shared) {
    topics->impl_->follower =
        std::jthread([impl = topics->impl_.get()](std::stop_token stop) { impl->follow(stop); });
  }
  return topics;
}

const std::string& SmnTopics::region() const noexcept { return impl_->region; }

Result<SmnTopicCreated> SmnTopics::create_topic(std::string_view project_id, std::string_view name,
                                                std::string_view display_name) {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (auto r = validate::topic_name(name); !r) return r.error();
  if (auto r = validate::topic_display_name(display_name); !r) return r.error();
  std::unique_lock lock(impl_->mutex);
  auto change = impl_->begin(project_id);
  if (!change) return change.error();
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
    if (auto r = Impl::commit(*change); !r) return r.error();
  }
  topics.emplace(std::string(name), TopicState{topic, {}, {}, {}});
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
    if (auto r = impl_->store->delete_topic(project_id, parse_smn_urn(topic_urn)->topic); !r)
      return r;
  }
  auto& topics = impl_->projects.find(project_id)->second;
  const auto topic = topics.find(parse_smn_urn(topic_urn)->topic);
  for (const auto& [id, subscription] : topic->second.subscriptions) {
    impl_->unindex(subscription);
    if (impl_->pusher) impl_->pusher->cancel(subscription.subscription.subscription_urn);
  }
  topics.erase(topic);
  return {};
}

Result<SmnSubscriptionAdded> SmnTopics::add_subscription(std::string_view project_id,
                                                         std::string_view topic_urn,
                                                         std::string_view protocol,
                                                         std::string_view endpoint,
                                                         std::string_view remark) {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  auto parsed = validate::subscription_endpoint(protocol, endpoint);
  if (!parsed) return std::move(parsed).error();
  if (remark.size() > k_max_remark ||
      std::ranges::any_of(remark, [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    return Error{ErrorCode::invalid_argument,
                 "remark: must be at most 128 characters without control characters"};
  }
  {
    std::shared_lock lock(impl_->mutex);
    const auto* topic = impl_->find(project_id, topic_urn);
    if (topic == nullptr) return topic_not_found(topic_urn);
    for (const auto& [id, existing] : topic->subscriptions) {
      if (existing.subscription.endpoint == endpoint) {
        return SmnSubscriptionAdded{existing.subscription, false, {}, {}};
      }
    }
  }
  // The SSRF guard resolves names: outside the lock.
  if (!impl_->options.allow_private_endpoints) {
    if (auto r = validate::public_endpoint(*parsed); !r) return r.error();
  }
  std::unique_lock lock(impl_->mutex);
  auto change = impl_->begin(project_id);
  if (!change) return change.error();
  auto* topic = impl_->find(project_id, topic_urn);
  if (topic == nullptr) return topic_not_found(topic_urn);
  for (const auto& [id, existing] : topic->subscriptions) {
    if (existing.subscription.endpoint == endpoint) {
      return SmnSubscriptionAdded{existing.subscription, false, {}, {}};
    }
  }
  if (topic->subscriptions.size() >= impl_->options.max_subscriptions_per_topic) {
    return Error{ErrorCode::quota_exceeded,
                 fmt::format("endpoint: a topic may hold at most {} subscriptions",
                             impl_->options.max_subscriptions_per_topic)};
  }
  const std::string id = random_hex128();
  SubscriptionState state{
      SmnSubscription{fmt::format("{}:{}", topic->topic.topic_urn, id), topic->topic.topic_urn,
                      std::string(protocol), std::string(endpoint), std::string(remark),
                      std::string(project_id), impl_->options.auto_confirm ? 1 : 0},
      detail::new_webhook_secret(), random_hex128(), random_hex128()};
  if (impl_->store) {
    if (auto r = impl_->store->put_subscription(stored(project_id, *topic, id, state)); !r) {
      return r.error();
    }
    if (auto r = Impl::commit(*change); !r) return r.error();
  }
  impl_->index(project_id, state);
  SmnSubscriptionAdded added{state.subscription, true, state.signing_secret, state.confirm_token};
  if (impl_->pusher && state.subscription.status == 0) {
    // The SubscriptionConfirmation, retried like a notification; not in the delivery log.
    detail::SmnPushMessage confirmation{
        .type = detail::SmnPushMessage::Type::confirmation,
        .topic_urn = topic->topic.topic_urn,
        .message_id = detail::new_uuid_v4(),
        .message = fmt::format("You are invited to subscribe to topic {}. Fetch subscribe_url to "
                               "confirm.",
                               topic->topic.topic_urn),
        .timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count(),
        .subscribe_url = impl_->link("confirm", state.confirm_token),
        .signing_cert_url = impl_->certificate_url()};
    (void)impl_->pusher->push(confirmation, {{state.subscription.subscription_urn,
                                              state.subscription.endpoint,
                                              state.signing_secret,
                                              {}}});
  }
  topic->subscriptions.emplace(id, std::move(state));
  return added;
}

Result<SmnSubscriptionPage> SmnTopics::list_subscriptions(std::string_view project_id,
                                                          std::string_view topic_urn,
                                                          std::size_t offset,
                                                          std::size_t limit) const {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  if (limit < 1 || limit > 100) {
    return Error{ErrorCode::invalid_argument, "limit: must be a whole number from 1 to 100"};
  }
  std::shared_lock lock(impl_->mutex);
  const auto* topic = impl_->find(project_id, topic_urn);
  if (topic == nullptr) return topic_not_found(topic_urn);
  std::vector<const SmnSubscription*> ordered;
  ordered.reserve(topic->subscriptions.size());
  for (const auto& [id, s] : topic->subscriptions) ordered.push_back(&s.subscription);
  std::ranges::sort(ordered, [](const SmnSubscription* a, const SmnSubscription* b) {
    return std::tie(a->endpoint, a->subscription_urn) < std::tie(b->endpoint, b->subscription_urn);
  });
  SmnSubscriptionPage page;
  page.subscription_count = ordered.size();
  for (std::size_t i = offset; i < ordered.size() && page.subscriptions.size() < limit; ++i) {
    page.subscriptions.push_back(*ordered[i]);
  }
  return page;
}

Result<void> SmnTopics::delete_subscription(std::string_view project_id,
                                            std::string_view subscription_urn) {
  if (auto r = validate::project_id(project_id); !r) return r;
  std::unique_lock lock(impl_->mutex);
  auto [topic, subscription] = impl_->find_subscription(project_id, subscription_urn);
  if (subscription == nullptr) return subscription_not_found(subscription_urn);
  const std::string id(split_subscription_urn(subscription_urn)->second);
  if (impl_->store) {
    if (auto r = impl_->store->delete_subscription(project_id, id); !r) return r;
  }
  impl_->unindex(*subscription);
  topic->subscriptions.erase(id);
  if (impl_->pusher) impl_->pusher->cancel(std::string(subscription_urn));
  return {};
}

Result<SmnSubscription> SmnTopics::confirm_subscription(std::string_view token) {
  std::unique_lock lock(impl_->mutex);
  const auto it = impl_->confirm_tokens.find(token);
  if (it == impl_->confirm_tokens.end()) {
    return Error{ErrorCode::not_found, "token: no subscription waits for this confirmation"};
  }
  const auto [project, urn] = it->second;
  auto [topic, subscription] = impl_->find_subscription(project, urn);
  if (subscription->subscription.status == 0) {
    SubscriptionState confirmed = *subscription;
    confirmed.subscription.status = 1;
    if (impl_->store) {
      const std::string id(split_subscription_urn(urn)->second);
      if (auto r = impl_->store->put_subscription(stored(project, *topic, id, confirmed)); !r) {
        return r.error();
      }
    }
    *subscription = std::move(confirmed);
  }
  return subscription->subscription;
}

Result<SmnSubscription> SmnTopics::unsubscribe(std::string_view token) {
  std::unique_lock lock(impl_->mutex);
  const auto it = impl_->unsubscribe_tokens.find(token);
  if (it == impl_->unsubscribe_tokens.end()) {
    return Error{ErrorCode::not_found, "token: no subscription has this unsubscribe token"};
  }
  const auto [project, urn] = it->second;
  auto [topic, subscription] = impl_->find_subscription(project, urn);
  const std::string id(split_subscription_urn(urn)->second);
  if (impl_->store) {
    if (auto r = impl_->store->delete_subscription(project, id); !r) return r.error();
  }
  SmnSubscription gone = subscription->subscription;
  impl_->unindex(*subscription);
  topic->subscriptions.erase(id);
  if (impl_->pusher) impl_->pusher->cancel(gone.subscription_urn);
  return gone;
}

Result<std::string> SmnTopics::rotate_signing_secret(std::string_view project_id,
                                                     std::string_view subscription_urn) {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  std::unique_lock lock(impl_->mutex);
  auto [topic, subscription] = impl_->find_subscription(project_id, subscription_urn);
  if (subscription == nullptr) return subscription_not_found(subscription_urn);
  SubscriptionState rotated = *subscription;
  rotated.signing_secret = detail::new_webhook_secret();
  if (impl_->store) {
    const std::string id(split_subscription_urn(subscription_urn)->second);
    if (auto r = impl_->store->put_subscription(stored(project_id, *topic, id, rotated)); !r) {
      return r.error();
    }
  }
  *subscription = rotated;
  return rotated.signing_secret;
}

std::vector<SmnPushTarget> SmnTopics::push_targets(std::string_view urn) const {
  std::vector<SmnPushTarget> targets;
  const auto parsed = parse_smn_urn(urn);
  if (!parsed) return targets;
  std::shared_lock lock(impl_->mutex);
  const auto* topic = impl_->find(parsed->project_id, urn);
  if (topic == nullptr) return targets;
  for (const auto& [id, s] : topic->subscriptions) {
    if (s.subscription.status == 1) {
      targets.push_back(SmnPushTarget{s.subscription, s.signing_secret, s.unsubscribe_token});
    }
  }
  return targets;
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
  std::vector<detail::SmnPusher::Target> targets;
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
    if (impl_->pusher) {
      for (const auto& [id, sub] : state->subscriptions) {
        if (sub.subscription.status != 1) continue;
        targets.push_back({sub.subscription.subscription_urn, sub.subscription.endpoint,
                           sub.signing_secret, impl_->link("unsubscribe", sub.unsubscribe_token)});
      }
    }
  }
  if (!targets.empty()) {
    if (impl_->store) {
      // Durable before any attempt: a crash from here on is repaired by the restart.
      std::vector<StoredPush> rows;
      rows.reserve(targets.size());
      for (const auto& target : targets) {
        rows.push_back(
            StoredPush{std::string(notification.notification_id),
                       std::string(notification.project_id),
                       std::string(parsed->topic),
                       std::string(split_subscription_urn(target.subscription_urn)->second),
                       std::string(notification.message()),
                       std::string(notification.event_name),
                       std::chrono::duration_cast<std::chrono::seconds>(
                           notification.trigger_time.time_since_epoch())
                           .count(),
                       "PENDING",
                       0,
                       std::nullopt,
                       {},
                       std::nullopt});
      }
      if (auto r = impl_->store->put_pushes(rows); !r) {
        return SinkOutcome::failed("the pushes could not be stored: " + r.error().message());
      }
    }
    detail::SmnPushMessage message{.type = detail::SmnPushMessage::Type::notification,
                                   .topic_urn = std::string(urn),
                                   .message_id = std::string(notification.notification_id),
                                   .message = std::string(notification.message()),
                                   .subject = std::string(notification.event_name),
                                   .timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                                                    notification.trigger_time.time_since_epoch())
                                                    .count(),
                                   .signing_cert_url = impl_->certificate_url()};
    if (auto r = impl_->pusher->push(message, targets); !r) {
      return SinkOutcome::failed(r.error().message());
    }
  }
  if (!subscribers.empty()) {
    const std::string message(notification.message());
    for (const auto& subscriber : subscribers) subscriber(message);
  }
  return SinkOutcome::delivered();
}

Result<void> SmnTopics::start_pushing(SmnPushOptions options) {
  std::unique_lock lock(impl_->mutex);
  if (impl_->pusher) return Error{ErrorCode::invalid_argument, "already pushing"};
  std::optional<detail::SigningKey> key;
  if (!options.signing_key_pem.empty()) {
    auto loaded = detail::SigningKey::from_pem(options.signing_key_pem);
    if (!loaded) return std::move(loaded).error();
    key = std::move(loaded).value();
  } else if (!impl_->signing_key_pem.empty()) {
    auto loaded = detail::SigningKey::from_pem(impl_->signing_key_pem);
    if (!loaded) {
      return Error{ErrorCode::unavailable,
                   "store: the SMN signing key: " + loaded.error().message()};
    }
    key = std::move(loaded).value();
  } else {
    auto made = detail::SigningKey::generate();
    if (!made) return std::move(made).error();
    // Kept, so that receivers that pinned the certificate keep verifying after a restart. With
    // several processes on one store, the first key stored is everyone's.
    if (impl_->store) {
      auto stored = impl_->store->put_setting_if_absent(k_signing_key_setting, made->private_pem());
      if (!stored) return stored.error();
      if (*stored != made->private_pem()) {
        auto theirs = detail::SigningKey::from_pem(*stored);
        if (!theirs) {
          return Error{ErrorCode::unavailable,
                       "store: the SMN signing key: " + theirs.error().message()};
        }
        made = std::move(theirs);
      }
    }
    key = std::move(made).value();
  }
  impl_->public_url = options.public_url;
  impl_->log_retention = options.delivery_log_retention;
  while (!impl_->public_url.empty() && impl_->public_url.back() == '/')
    impl_->public_url.pop_back();
  detail::SmnPusher::Options pusher{
      .workers = options.workers,
      .retry = options.retry,
      .attempt_timeout = options.attempt_timeout,
      .max_in_flight_per_subscription = options.max_in_flight_per_subscription,
      .max_in_flight_per_origin = options.max_in_flight_per_origin,
      .max_queued = options.max_queued_pushes,
      .kept_log_per_topic = options.kept_deliveries_per_topic,
      .allow_private = impl_->options.allow_private_endpoints};
  detail::SmnPusher::Persist persist;
  if (impl_->store) {
    persist = [store = impl_->store](const detail::SmnDelivery& line) {
      const auto parts = split_subscription_urn(line.subscription_urn);
      if (!parts) return;
      StoredPush update;
      update.message_id = line.message_id;
      update.subscription_id = std::string(parts->second);
      update.status = std::string(detail::to_string(line.status));
      update.attempts = line.attempts;
      update.last_http_status = line.last_http_status;
      update.last_error = line.last_error;
      update.next_attempt_time = line.next_attempt_time;
      // A status the store refused is tried again from its last stored state after a restart:
      // at least once.
      (void)store->update_push(update);
    };
  }
  impl_->pusher = std::make_unique<detail::SmnPusher>(
      pusher, std::move(*key),
      [this](const std::string& subscription_urn) {
        // 410 Gone: the receiver asked to be removed.
        const auto parsed = split_subscription_urn(subscription_urn);
        if (!parsed) return;
        if (const auto topic = parse_smn_urn(parsed->first)) {
          (void)delete_subscription(topic->project_id, subscription_urn);
        }
      },
      std::move(persist));
  // What a restart found pending goes out again, with its attempts so far and the same
  // message_id.
  for (auto& stored : impl_->pending_pushes) impl_->resume(stored);
  impl_->pending_pushes.clear();
  return {};
}

void SmnTopics::Impl::resume(StoredPush& stored) {
  const auto project = projects.find(stored.project_id);
  const TopicState* topic = nullptr;
  if (project != projects.end()) {
    const auto it = project->second.find(stored.topic_name);
    if (it != project->second.end()) topic = &it->second;
  }
  const auto sub = topic != nullptr ? topic->subscriptions.find(stored.subscription_id)
                                    : decltype(topic->subscriptions.end()){};
  if (topic == nullptr || sub == topic->subscriptions.end() ||
      sub->second.subscription.status != 1) {
    stored.status = "FAILED";
    stored.last_error = "subscription deleted";
    stored.next_attempt_time.reset();
    if (store) (void)store->update_push(stored);
    return;
  }
  pusher->resume(detail::SmnPushMessage{.type = detail::SmnPushMessage::Type::notification,
                                        .topic_urn = topic->topic.topic_urn,
                                        .message_id = stored.message_id,
                                        .message = stored.message,
                                        .subject = stored.subject,
                                        .timestamp = stored.timestamp,
                                        .signing_cert_url = certificate_url()},
                 {sub->second.subscription.subscription_urn, sub->second.subscription.endpoint,
                  sub->second.signing_secret, link("unsubscribe", sub->second.unsubscribe_token)},
                 stored.attempts, stored.next_attempt_time);
}

Result<SmnDeliveryPage> SmnTopics::deliveries(std::string_view project_id,
                                              std::string_view topic_urn,
                                              std::optional<std::string_view> status,
                                              std::size_t limit, std::string_view marker) const {
  if (auto r = validate::project_id(project_id); !r) return r.error();
  std::optional<detail::SmnDelivery::Status> wanted;
  if (status) {
    for (const auto s :
         {detail::SmnDelivery::Status::pending, detail::SmnDelivery::Status::delivered,
          detail::SmnDelivery::Status::failed}) {
      if (detail::to_string(s) == *status) wanted = s;
    }
    if (!wanted) {
      return Error{ErrorCode::invalid_argument, "status: must be PENDING, DELIVERED or FAILED"};
    }
  }
  if (limit < 1 || limit > 1000) {
    return Error{ErrorCode::invalid_argument, "limit: must be a whole number from 1 to 1000"};
  }
  // The marker is the sequence of the last line of the page before.
  std::uint64_t before = UINT64_MAX;
  if (!marker.empty()) {
    const auto [end, ec] = std::from_chars(marker.data(), marker.data() + marker.size(), before);
    if (ec != std::errc{} || end != marker.data() + marker.size() || before == 0 ||
        before > static_cast<std::uint64_t>(INT64_MAX)) {
      return Error{ErrorCode::invalid_argument,
                   "marker: must be the next_marker of a previous page of deliveries"};
    }
  }
  {
    std::shared_lock lock(impl_->mutex);
    if (impl_->find(project_id, topic_urn) == nullptr) return topic_not_found(topic_urn);
  }
  SmnDeliveryPage page;
  std::vector<SmnDeliveryLine>& lines = page.deliveries;
  if (impl_->store) {
    // Kept as long as the records: read from the store.
    const auto topic_name = parse_smn_urn(topic_urn)->topic;
    // One more than asked: whether a next page exists.
    auto stored = impl_->store->list_pushes(project_id, topic_name, status.value_or(""), limit + 1,
                                            impl_->prune_before(),
                                            static_cast<std::int64_t>(std::min<std::uint64_t>(
                                                before, static_cast<std::uint64_t>(INT64_MAX))));
    if (!stored) return std::move(stored).error();
    for (auto& p : *stored) {
      if (lines.size() == limit) {
        page.next_marker = std::to_string(stored->at(limit - 1).sequence);
        break;
      }
      lines.push_back(SmnDeliveryLine{std::move(p.message_id),
                                      fmt::format("{}:{}", topic_urn, p.subscription_id),
                                      std::move(p.status), p.attempts, p.last_http_status,
                                      std::move(p.last_error), p.next_attempt_time});
    }
    return page;
  }
  if (!impl_->pusher) return page;
  auto logged = impl_->pusher->log(topic_urn, wanted, limit + 1, before);
  for (auto& d : logged) {
    if (lines.size() == limit) {
      page.next_marker = std::to_string(logged[limit - 1].sequence);
      break;
    }
    lines.push_back(SmnDeliveryLine{std::move(d.message_id), std::move(d.subscription_urn),
                                    std::string(detail::to_string(d.status)), d.attempts,
                                    d.last_http_status, std::move(d.last_error),
                                    d.next_attempt_time});
  }
  return page;
}

Result<std::string> SmnTopics::signing_certificate(std::string_view key_id) const {
  std::shared_lock lock(impl_->mutex);
  if (!impl_->pusher || impl_->pusher->key().key_id() != key_id) {
    return Error{ErrorCode::not_found, "key_id: no such signing certificate"};
  }
  return impl_->pusher->key().certificate_pem();
}

SinkFunction smn_sink(std::shared_ptr<SmnTopics> topics) {
  return [topics = std::move(topics)](const Notification& notification) {
    return topics->publish(notification);
  };
}

}  // namespace herald
