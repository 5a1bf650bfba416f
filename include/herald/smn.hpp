// herald::SmnTopics: an in-process stand-in for SMN, the cloud's pub/sub topics and herald's
// default notification target. Topics belong to a project and are named as in SMN; their URN is
// `urn:smn:{region}:{project_id}:{name}`. Publishing keeps the newest messages of each topic
// (SmnOptions::kept_messages_per_topic), for inspection, and hands each to the topic's
// subscribers.
//
// As a sink (`smn_sink`), for a notification whose target_type is "SMN":
// - a target_id that is not `urn:smn:{region}:{project_id}:{topic}` with every part non-empty
//   and a valid topic name → invalid_target (INVALID);
// - a URN of another region, of another project than the notification's, or of a topic that does
//   not exist → failed (FAIL);
// - otherwise the message is kept and subscribers are called → delivered (SUCCESS).
// target_name plays no part: it is a label.
//
// Thread-safety: safe for concurrent use. Topic subscribers are called without SmnTopics' lock
// held, on the publishing thread.
#pragma once

#include "herald/export.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/error.hpp"
#include "herald/options.hpp"
#include "herald/sink.hpp"

namespace herald {

class Store;

struct HERALD_EXPORT SmnTopic {
  std::string topic_urn;
  std::string name;
  std::string display_name;

  friend bool operator==(const SmnTopic&, const SmnTopic&) = default;
};

/// An HTTP(S) subscription of a topic (contract §5, ListSubscriptionsByTopic's fields).
struct HERALD_EXPORT SmnSubscription {
  std::string subscription_urn;  ///< `{topic_urn}:{32 lower-case hex}`
  std::string topic_urn;
  std::string protocol;  ///< "http" or "https"
  std::string endpoint;
  std::string remark;
  std::string owner;  ///< the project id
  int status = 0;     ///< 0 unconfirmed, 1 confirmed

  friend bool operator==(const SmnSubscription&, const SmnSubscription&) = default;
};

/// The answer of add_subscription.
struct HERALD_EXPORT SmnSubscriptionAdded {
  SmnSubscription subscription;
  bool created = false;        ///< false: the (topic, endpoint) had a subscription already
  std::string signing_secret;  ///< "whsec_…", only when created (shown once)
  std::string confirm_token;   ///< what subscribe_url carries, only when created
};

/// One page of a topic's subscriptions: `subscription_count` is the topic's total.
struct HERALD_EXPORT SmnSubscriptionPage {
  std::size_t subscription_count = 0;
  std::vector<SmnSubscription> subscriptions;
};

/// What a push to a confirmed subscription needs.
struct HERALD_EXPORT SmnPushTarget {
  SmnSubscription subscription;
  std::string signing_secret;
  std::string unsubscribe_token;
};

/// How an SmnTopics pushes to its subscriptions (start_pushing).
struct HERALD_EXPORT SmnPushOptions {
  /// The base of the URLs herald hands out (subscribe_url, unsubscribe_url, signing_cert_url),
  /// e.g. "http://herald.example:8080"; no trailing slash needed.
  std::string public_url = "http://127.0.0.1:8080";
  /// Worker threads attempting pushes. Default: 16 (a hung receiver holds at most
  /// max_in_flight_per_subscription of them).
  std::size_t workers = 16;
  /// First try, then up to max_retries (default 6) with full-jitter backoff, 1 s doubling to 60 s.
  RetryPolicy retry;
  /// One attempt's limit. Default: 5 s.
  std::chrono::milliseconds attempt_timeout{5000};
  /// Pushes in flight at once per subscription (default 4) and per origin (default 16).
  std::size_t max_in_flight_per_subscription = 4;
  std::size_t max_in_flight_per_origin = 16;
  /// Pushes waiting or being retried, in all; beyond it a publish fails (FAIL, retried by the
  /// engine's delivery). Default: 100 000.
  std::size_t max_queued_pushes = 100'000;
  /// Delivery log lines kept per topic in memory (without a store), the newest. Default: 1000.
  std::size_t kept_deliveries_per_topic = 1000;
  /// With a store, how long final pushes stay in the delivery log: as the records
  /// (Options::record_retention). Default: 90 days.
  std::chrono::milliseconds delivery_log_retention = std::chrono::days{90};
  /// A PEM RSA private key (PKCS#1 or PKCS#8, at least 2048 bits) to sign with; empty: the key
  /// kept in the store, or a new one (kept in the store when there is one).
  std::string signing_key_pem;
};

/// One line of a topic's delivery log (herald extension).
struct HERALD_EXPORT SmnDeliveryLine {
  std::string message_id;
  std::string subscription_urn;
  std::string status;  ///< "PENDING", "DELIVERED" or "FAILED"
  std::size_t attempts = 0;
  std::optional<int> last_http_status;
  std::string last_error;
  std::optional<std::int64_t> next_attempt_time;  ///< epoch ms; none once final
};

/// One page of a topic's delivery log: `next_marker` (opaque) asks for the next, older page;
/// empty on the last.
struct HERALD_EXPORT SmnDeliveryPage {
  std::vector<SmnDeliveryLine> deliveries;
  std::string next_marker;
};

/// Limits of an SmnTopics.
struct HERALD_EXPORT SmnOptions {
  /// Most topics one project may hold; creating one more is refused with HERALD.1003.
  /// Default: 3000.
  std::size_t max_topics_per_project = 3000;
  /// Messages each topic keeps for inspection (messages()), the newest; older ones are dropped.
  /// Delivery never depends on them: what an operator needs is in the records. Default: 100.
  std::size_t kept_messages_per_topic = 100;
  /// Most subscriptions one topic may hold; adding one more is refused with HERALD.1003.
  /// Default: 10 000.
  std::size_t max_subscriptions_per_topic = 10'000;
  /// Whether endpoints on loopback, private, link-local and the other special-purpose addresses
  /// of §5 are accepted (tests, closed networks). Default: false, they are refused.
  bool allow_private_endpoints = false;
  /// Whether a new subscription is confirmed at once, without a confirmation message
  /// (development). Default: false.
  bool auto_confirm = false;
};

/// One page of a project's topics (SMN's ListTopics): `topic_count` is the project's total.
struct HERALD_EXPORT SmnTopicPage {
  std::size_t topic_count = 0;
  std::vector<SmnTopic> topics;
};

/// The answer of create_topic: the topic, and whether this call made it (SMN's 201 vs 200).
struct HERALD_EXPORT SmnTopicCreated {
  SmnTopic topic;
  bool created = false;
};

class HERALD_EXPORT SmnTopics {
 public:
  /// Topics of the region `region` (1–64 letters, digits, `-`, `_`). Default: "region-1".
  explicit SmnTopics(std::string region = "region-1", SmnOptions options = {});
  ~SmnTopics();
  SmnTopics(const SmnTopics&) = delete;
  SmnTopics& operator=(const SmnTopics&) = delete;

  /// Topics of `region` kept in `store` as well: the stored topics are loaded now, and creating
  /// or deleting one writes through (messages are not stored: they are for inspection).
  /// Errors: unavailable, when the store cannot be read.
  static Result<std::shared_ptr<SmnTopics>> open(std::string region, std::shared_ptr<Store> store,
                                                 SmnOptions options = {});

  [[nodiscard]] const std::string& region() const noexcept;

  /// Creates the topic `name` in the project, or answers the existing one (idempotent by name;
  /// an existing topic keeps its display name). Errors: invalid_argument (project_id; name:
  /// 1–255 chars of letters, digits, `-`, `_`, starting with a letter or digit; display_name:
  /// at most 192 bytes, no control characters); quota_exceeded (the project holds
  /// max_topics_per_project topics); unavailable (the store refused: not created).
  Result<SmnTopicCreated> create_topic(std::string_view project_id, std::string_view name,
                                       std::string_view display_name = {});
  /// The project's topics ordered by name, at most `limit` from the `offset`-th on (SMN's
  /// paging), and the project's total. Errors: invalid_argument (project_id).
  [[nodiscard]] Result<SmnTopicPage> list_topics(std::string_view project_id,
                                                 std::size_t offset = 0,
                                                 std::size_t limit = 100) const;
  /// Errors: invalid_argument, not_found (no such topic in this project).
  [[nodiscard]] Result<SmnTopic> show_topic(std::string_view project_id,
                                            std::string_view topic_urn) const;
  /// Deletes the topic and its messages. Errors: invalid_argument, not_found.
  Result<void> delete_topic(std::string_view project_id, std::string_view topic_urn);

  /// The newest messages published to the topic (at most kept_messages_per_topic), oldest
  /// first. Errors: invalid_argument, not_found.
  [[nodiscard]] Result<std::vector<std::string>> messages(std::string_view project_id,
                                                          std::string_view topic_urn) const;
  /// Calls `subscriber` with every message published to the topic from now on, until the topic
  /// is deleted. Errors: invalid_argument, not_found.
  Result<void> subscribe(std::string_view project_id, std::string_view topic_urn,
                         std::function<void(const std::string& message)> subscriber);

  /// AddSubscription: subscribes `endpoint` to the topic, or answers the existing subscription
  /// of the same endpoint (created false, no secret). A new one is unconfirmed (unless
  /// SmnOptions::auto_confirm) and gets a signing secret and a confirmation token.
  /// Errors: invalid_argument (project_id; protocol not http or https; endpoint: does not
  /// parse, its scheme is not the protocol, userinfo, a non-public address or a name that does
  /// not resolve, each named; remark over 128 characters or with control characters);
  /// not_found (no such topic in this project); quota_exceeded; unavailable (the store refused).
  Result<SmnSubscriptionAdded> add_subscription(std::string_view project_id,
                                                std::string_view topic_urn,
                                                std::string_view protocol,
                                                std::string_view endpoint,
                                                std::string_view remark = {});
  /// ListSubscriptionsByTopic: ordered by endpoint, at most `limit` (1..100) from the
  /// `offset`-th. Errors: invalid_argument, not_found.
  [[nodiscard]] Result<SmnSubscriptionPage> list_subscriptions(std::string_view project_id,
                                                               std::string_view topic_urn,
                                                               std::size_t offset = 0,
                                                               std::size_t limit = 100) const;
  /// DeleteSubscription. Errors: invalid_argument, not_found, unavailable.
  Result<void> delete_subscription(std::string_view project_id, std::string_view subscription_urn);
  /// A GET of subscribe_url: confirms the subscription whose token it is (idempotent).
  /// Errors: not_found (no subscription has that token), unavailable.
  Result<SmnSubscription> confirm_subscription(std::string_view token);
  /// A GET of unsubscribe_url: deletes the subscription whose token it is. Errors: not_found,
  /// unavailable.
  Result<SmnSubscription> unsubscribe(std::string_view token);
  /// A new signing secret for the subscription (the old one stops at once), answered once.
  /// Errors: invalid_argument, not_found, unavailable.
  Result<std::string> rotate_signing_secret(std::string_view project_id,
                                            std::string_view subscription_urn);
  /// The confirmed subscriptions of the topic `urn` names, with what a push needs; empty when
  /// there is no such topic.
  [[nodiscard]] std::vector<SmnPushTarget> push_targets(std::string_view urn) const;

  /// Starts pushing: every message published to a topic from now on is pushed to each of its
  /// confirmed subscriptions, and a new subscription gets a SubscriptionConfirmation (unless
  /// auto_confirm). Errors: invalid_argument (the signing key), unavailable (the store refused
  /// to keep a new key); already pushing.
  Result<void> start_pushing(SmnPushOptions options);
  /// The topic's delivery log, newest first, `limit` (1..1000) lines after `marker` (the
  /// next_marker of the page before; empty: the newest). Errors: invalid_argument (status not
  /// PENDING, DELIVERED or FAILED; limit; a marker this log did not hand out), not_found.
  [[nodiscard]] Result<SmnDeliveryPage> deliveries(
      std::string_view project_id, std::string_view topic_urn,
      std::optional<std::string_view> status = std::nullopt, std::size_t limit = 100,
      std::string_view marker = {}) const;
  /// The signing certificate (PEM) whose key id is `key_id`. Errors: not_found.
  [[nodiscard]] Result<std::string> signing_certificate(std::string_view key_id) const;

  /// The sink behaviour described above, for one notification.
  SinkOutcome publish(const Notification& notification);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A sink that publishes to `topics`; connect it for target_type "SMN". It keeps `topics` alive.
[[nodiscard]] HERALD_EXPORT SinkFunction smn_sink(std::shared_ptr<SmnTopics> topics);

}  // namespace herald
