// The SMN stand-in's pushes (contract §5): one push per confirmed subscription of a topic a
// message was published to, each attempted by a pool of worker threads, retried on the schedule
// of §5 (first try, then up to `retry.max_retries` with full-jitter backoff, a 429's or 503's
// Retry-After as the least wait), final on any other 4xx or a 3xx, a 410 unsubscribing.
// In flight at once: at most `max_in_flight_per_subscription` per subscription and
// `max_in_flight_per_origin` per origin (scheme, host, port), so a hung receiver holds only its
// own slots while the other workers go on. What became of each push is kept in a bounded
// delivery log per topic.
//
// Durability is the caller's: with a store, SmnTopics writes each push (pending) before it is
// queued here, and `Persist` stores every attempt's outcome, so that a restart queues what was
// still pending, with its attempts so far.
//
// Thread-safety: safe for concurrent use. Callbacks run on worker threads, without its lock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "herald/error.hpp"
#include "herald/options.hpp"
#include "sinks/http_push.hpp"
#include "sinks/smn_push_message.hpp"
#include "sinks/smn_signing.hpp"

namespace herald::detail {

/// One line of the delivery log (GET …/topics/{urn}/deliveries).
struct SmnDelivery {
  enum class Status { pending, delivered, failed };
  std::string message_id;
  std::string subscription_urn;
  Status status = Status::pending;
  std::size_t attempts = 0;
  std::optional<int> last_http_status;
  std::string last_error;
  std::optional<std::int64_t> next_attempt_time;  ///< epoch ms; none once final
  std::uint64_t sequence = 0;  ///< the line's place in its topic's log, newest highest
};

[[nodiscard]] std::string_view to_string(SmnDelivery::Status status) noexcept;

class SmnPusher {
 public:
  struct Options {
    std::size_t workers = 16;
    RetryPolicy retry;  ///< first try, then max_retries (default 6), backoff 1 s doubling to 60 s
    std::chrono::milliseconds attempt_timeout{5000};
    std::size_t max_in_flight_per_subscription = 4;
    std::size_t max_in_flight_per_origin = 16;
    std::size_t max_queued = 100'000;       ///< pushes waiting or being retried, in all
    std::size_t kept_log_per_topic = 1000;  ///< delivery log lines kept per topic, newest
    bool allow_private = false;             ///< the connect-time SSRF guard off
  };
  /// What a push needs to know of its subscription.
  struct Target {
    std::string subscription_urn;
    std::string endpoint;
    std::string signing_secret;
    std::string unsubscribe_url;
  };
  /// Called when a receiver answered 410 Gone, with the subscription's URN.
  using Gone = std::function<void(const std::string& subscription_urn)>;
  /// Called after every attempt of a notification's push, with its delivery log line (the
  /// line's message_id and subscription_urn say which push).
  using Persist = std::function<void(const SmnDelivery& line)>;

  SmnPusher(Options options, SigningKey key, Gone gone, Persist persist = {});
  /// Stops the workers after the attempts in flight.
  ~SmnPusher();
  SmnPusher(const SmnPusher&) = delete;
  SmnPusher& operator=(const SmnPusher&) = delete;

  /// Queues one push of `message` (its subscription fields filled per target) to each target.
  /// Errors: unavailable when the queue has no room for them all (none is queued).
  Result<void> push(const SmnPushMessage& message, const std::vector<Target>& targets);
  /// Queues a push a restart found pending, with the attempts it made already, due at
  /// `next_attempt` (epoch ms; now when none).
  void resume(const SmnPushMessage& message, const Target& target, std::size_t attempts,
              std::optional<std::int64_t> next_attempt);
  /// Ends the subscription's waiting pushes as FAILED "subscription deleted" (attempts in
  /// flight finish).
  void cancel(const std::string& subscription_urn);

  /// The topic's delivery log, newest first, lines whose sequence is below `before`, at most
  /// `limit`, only `status` when given.
  [[nodiscard]] std::vector<SmnDelivery> log(std::string_view topic_urn,
                                             std::optional<SmnDelivery::Status> status,
                                             std::size_t limit,
                                             std::uint64_t before = UINT64_MAX) const;

  [[nodiscard]] const SigningKey& key() const noexcept { return key_; }

 private:
  struct Push {
    std::uint64_t id = 0;
    SmnPushMessage message;
    std::string body;  // signed once: the SMN body does not change between attempts
    Target target;
    std::string origin;
    std::chrono::steady_clock::time_point due;
    std::size_t attempts = 0;
  };

  // The push of `message` to `target`, its body signed with `signature`.
  static Push make(const SmnPushMessage& message, const Target& target, std::string_view signature);
  void worker();
  // The first due push whose subscription and origin have a free slot. Requires: mutex_ held.
  std::optional<std::size_t> pick(std::chrono::steady_clock::time_point now) const;
  void record(const Push& push, SmnDelivery::Status status, const PushResult* result,
              std::optional<std::chrono::system_clock::time_point> next);  // requires mutex_
  [[nodiscard]] std::chrono::milliseconds backoff(std::size_t attempts, const PushResult& result);

  const Options options_;
  const SigningKey key_;
  const Gone gone_;
  const Persist persist_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Push> waiting_;  // small per topic; scanned in due order
  std::map<std::string, std::size_t, std::less<>> busy_subscriptions_, busy_origins_;
  std::map<std::string, std::deque<SmnDelivery>, std::less<>> log_;  // by topic, newest first
  std::uint64_t next_id_ = 1;
  std::uint64_t next_line_ = 1;
  std::size_t in_flight_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace herald::detail
