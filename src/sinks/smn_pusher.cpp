#include "sinks/smn_pusher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "validate/endpoint.hpp"

namespace herald::detail {

std::string_view to_string(SmnDelivery::Status status) noexcept {
  switch (status) {
    case SmnDelivery::Status::pending: return "PENDING";
    case SmnDelivery::Status::delivered: return "DELIVERED";
    case SmnDelivery::Status::failed: return "FAILED";
  }
  return {};
}

SmnPusher::SmnPusher(Options options, SigningKey key, Gone gone, Persist persist)
    : options_(options),
      key_(std::move(key)),
      gone_(std::move(gone)),
      persist_(std::move(persist)) {
  for (std::size_t i = 0; i < std::max<std::size_t>(options_.workers, 1); ++i) {
    workers_.emplace_back([this] { worker(); });
  }
}

SmnPusher::~SmnPusher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

SmnPusher::Push SmnPusher::make(const SmnPushMessage& message, const Target& target,
                                std::string_view signature) {
  Push p;
  p.message = message;
  p.message.subscription_urn = target.subscription_urn;
  p.message.unsubscribe_url = target.unsubscribe_url;
  p.body = smn_push_body(p.message, signature);
  p.target = target;
  // In-flight slots are shared per origin: scheme, host, port.
  const auto endpoint = validate::subscription_endpoint(
      target.endpoint.starts_with("https:") ? "https" : "http", target.endpoint);
  p.origin = endpoint ? fmt::format("{}://{}:{}", endpoint->scheme, endpoint->host, endpoint->port)
                      : target.endpoint;
  return p;
}

Result<void> SmnPusher::push(const SmnPushMessage& message, const std::vector<Target>& targets) {
  if (targets.empty()) return {};
  std::vector<Push> made;
  made.reserve(targets.size());
  const auto now = std::chrono::steady_clock::now();
  // Signed once for all the topic's subscriptions (the signed fields do not name one), outside
  // the lock: an RSA signature costs about a millisecond.
  const std::string signature = smn_push_signature(message, key_);
  for (const auto& target : targets) {
    made.push_back(make(message, target, signature));
    made.back().due = now;
  }
  {
    std::lock_guard lock(mutex_);
    if (waiting_.size() + in_flight_ + made.size() > options_.max_queued) {
      return Error{ErrorCode::unavailable,
                   fmt::format("push queue full ({} pushes queued, at most {})",
                               waiting_.size() + in_flight_, options_.max_queued)};
    }
    for (auto& p : made) {
      p.id = next_id_++;
      record(p, SmnDelivery::Status::pending, nullptr, std::chrono::system_clock::now());
      waiting_.push_back(std::move(p));
    }
  }
  wake_.notify_all();
  return {};
}

void SmnPusher::resume(const SmnPushMessage& message, const Target& target, std::size_t attempts,
                       std::optional<std::int64_t> next_attempt) {
  Push p = make(message, target, smn_push_signature(message, key_));
  p.attempts = attempts;
  const auto now_system = std::chrono::system_clock::now();
  const auto wait =
      next_attempt
          ? std::chrono::milliseconds(*next_attempt) -
                std::chrono::duration_cast<std::chrono::milliseconds>(now_system.time_since_epoch())
          : std::chrono::milliseconds(0);
  p.due = std::chrono::steady_clock::now() + std::max(wait, std::chrono::milliseconds(0));
  {
    std::lock_guard lock(mutex_);
    p.id = next_id_++;
    record(p, SmnDelivery::Status::pending, nullptr,
           now_system + std::max(wait, std::chrono::milliseconds(0)));
    waiting_.push_back(std::move(p));
  }
  wake_.notify_all();
}

void SmnPusher::cancel(const std::string& subscription_urn) {
  std::vector<SmnDelivery> ended;
  {
    std::lock_guard lock(mutex_);
    PushResult deleted{PushResult::Kind::final, std::nullopt, "subscription deleted", {}};
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->target.subscription_urn != subscription_urn) {
        ++it;
        continue;
      }
      record(*it, SmnDelivery::Status::failed, &deleted, std::nullopt);
      if (it->message.type == SmnPushMessage::Type::notification) {
        ended.push_back(SmnDelivery{it->message.message_id, subscription_urn,
                                    SmnDelivery::Status::failed, it->attempts, std::nullopt,
                                    "subscription deleted", std::nullopt});
      }
      it = waiting_.erase(it);
    }
  }
  if (persist_) {
    for (const auto& line : ended) persist_(line);
  }
}

std::optional<std::size_t> SmnPusher::pick(std::chrono::steady_clock::time_point now) const {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < waiting_.size(); ++i) {
    const Push& p = waiting_[i];
    if (p.due > now) continue;
    if (best && waiting_[*best].due <= p.due) continue;
    const auto sub = busy_subscriptions_.find(p.target.subscription_urn);
    if (sub != busy_subscriptions_.end() &&
        sub->second >= options_.max_in_flight_per_subscription) {
      continue;
    }
    const auto origin = busy_origins_.find(p.origin);
    if (origin != busy_origins_.end() && origin->second >= options_.max_in_flight_per_origin) {
      continue;
    }
    best = i;
  }
  return best;
}

std::chrono::milliseconds SmnPusher::backoff(std::size_t attempts, const PushResult& result) {
  const auto shift = std::min<std::size_t>(attempts - 1, 30);
  const auto cap = std::min<std::int64_t>(options_.retry.max_backoff.count(),
                                          options_.retry.initial_backoff.count() << shift);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto wait = std::chrono::milliseconds(
      std::uniform_int_distribution<std::int64_t>(0, std::max<std::int64_t>(cap, 0))(rng));
  // A Retry-After raises the wait, never lowers it.
  if (result.retry_after) wait = std::max<std::chrono::milliseconds>(wait, *result.retry_after);
  return wait;
}

void SmnPusher::record(const Push& push, SmnDelivery::Status status, const PushResult* result,
                       std::optional<std::chrono::system_clock::time_point> next) {
  // The delivery log shows notifications only (§5): a confirmation is retried all the same.
  if (push.message.type == SmnPushMessage::Type::confirmation) return;
  auto& log = log_[push.message.topic_urn];
  const auto entry = std::find_if(log.begin(), log.end(), [&](const SmnDelivery& d) {
    return d.message_id == push.message.message_id &&
           d.subscription_urn == push.target.subscription_urn;
  });
  SmnDelivery line{
      push.message.message_id,
      push.target.subscription_urn,
      status,
      push.attempts,
      result ? result->http_status : std::nullopt,
      result ? result->error : std::string(),
      next ? std::optional<std::int64_t>(
                 std::chrono::duration_cast<std::chrono::milliseconds>(next->time_since_epoch())
                     .count())
           : std::nullopt};
  if (entry != log.end()) {
    line.sequence = entry->sequence;
    *entry = std::move(line);
    return;
  }
  line.sequence = next_line_++;
  log.push_front(std::move(line));
  if (log.size() > options_.kept_log_per_topic) log.pop_back();
}

void SmnPusher::worker() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    const auto chosen = pick(now);
    if (!chosen) {
      // The next due time, or a while (a slot freeing wakes us too).
      auto until = now + std::chrono::milliseconds(200);
      for (const auto& p : waiting_) until = std::min(until, std::max(p.due, now));
      wake_.wait_until(lock, until);
      continue;
    }
    Push push = std::move(waiting_[*chosen]);
    waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(*chosen));
    ++busy_subscriptions_[push.target.subscription_urn];
    ++busy_origins_[push.origin];
    ++in_flight_;
    ++push.attempts;
    lock.unlock();

    // Each attempt signed anew for Standard Webhooks (webhook-timestamp is the attempt's time).
    const auto attempt_time = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
    PushResult result;
    auto headers =
        smn_push_headers(push.message, push.body, push.target.signing_secret, attempt_time);
    if (!headers) {
      result = PushResult{PushResult::Kind::final, std::nullopt, headers.error().message(), {}};
    } else {
      result = push_once(PushRequest{push.target.endpoint, std::move(headers).value(), push.body,
                                     options_.attempt_timeout, options_.allow_private});
    }

    lock.lock();
    if (--busy_subscriptions_[push.target.subscription_urn] == 0) {
      busy_subscriptions_.erase(push.target.subscription_urn);
    }
    if (--busy_origins_[push.origin] == 0) busy_origins_.erase(push.origin);
    --in_flight_;
    const bool retry =
        result.kind == PushResult::Kind::retry && push.attempts <= options_.retry.max_retries;
    const bool notification = push.message.type == SmnPushMessage::Type::notification;
    SmnDelivery line{push.message.message_id,
                     push.target.subscription_urn,
                     SmnDelivery::Status::delivered,
                     push.attempts,
                     result.http_status,
                     result.error,
                     std::nullopt};
    bool gone = false;
    std::optional<Push> again;  // queued once its state is stored, so no later attempt overtakes it
    if (result.kind == PushResult::Kind::delivered) {
      record(push, SmnDelivery::Status::delivered, &result, std::nullopt);
    } else if (retry) {
      const auto wait = backoff(push.attempts, result);
      const auto next = std::chrono::system_clock::now() + wait;
      record(push, SmnDelivery::Status::pending, &result, next);
      line.status = SmnDelivery::Status::pending;
      line.next_attempt_time =
          std::chrono::duration_cast<std::chrono::milliseconds>(next.time_since_epoch()).count();
      push.due = std::chrono::steady_clock::now() + wait;
      again = std::move(push);
    } else {
      if (result.kind == PushResult::Kind::retry && push.attempts > 1) {
        result.error = fmt::format("after {} attempts: {}", push.attempts, result.error);
      }
      record(push, SmnDelivery::Status::failed, &result, std::nullopt);
      line.status = SmnDelivery::Status::failed;
      line.last_error = result.error;
      gone = result.unsubscribe;
    }
    if ((persist_ && notification) || (gone && gone_)) {
      lock.unlock();
      // Stored before the next attempt could start: the store's writer is the one writer.
      if (persist_ && notification) persist_(line);
      if (gone && gone_) gone_(line.subscription_urn);
      lock.lock();
    }
    if (again) waiting_.push_back(std::move(*again));
    wake_.notify_all();  // a slot is free, or a retry waits
  }
}

std::vector<SmnDelivery> SmnPusher::log(std::string_view topic_urn,
                                        std::optional<SmnDelivery::Status> status,
                                        std::size_t limit, std::uint64_t before) const {
  std::lock_guard lock(mutex_);
  std::vector<SmnDelivery> lines;
  const auto it = log_.find(topic_urn);
  if (it == log_.end()) return lines;
  for (const auto& line : it->second) {
    if (lines.size() == limit) break;
    if (line.sequence >= before) continue;
    if (!status || line.status == *status) lines.push_back(line);
  }
  return lines;
}

}  // namespace herald::detail
