// The SMN stand-in's topics: created idempotently by name, URNs as SMN forms them, per project.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "receiver.hpp"
#include "test_support.hpp"

namespace herald {
namespace {

using testing::k_other_project;
using testing::k_project;

TEST(smn_test, topics_are_created_idempotently_with_smn_urns) {
  SmnTopics smn("cn-north-4");
  const auto created = smn.create_topic(k_project, "rotation", "Rotation notices");
  ASSERT_TRUE(created.ok()) << created.error().message();
  EXPECT_TRUE(created->created);
  EXPECT_EQ(created->topic.topic_urn, "urn:smn:cn-north-4:" + std::string(k_project) + ":rotation");
  EXPECT_EQ(created->topic.display_name, "Rotation notices");

  const auto again = smn.create_topic(k_project, "rotation", "another display name");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created) << "SMN answers the existing topic (200, not 201)";
  EXPECT_EQ(again->topic, created->topic);
  EXPECT_EQ(smn.list_topics(k_project)->topics.size(), 1U);
}

TEST(smn_test, topic_names_follow_smn_rules) {
  SmnTopics smn;
  struct Row {
    std::string name;
    bool ok;
  };
  const std::vector<Row> table = {
      {"a", true},          {std::string(255, 't'), true}, {std::string(256, 't'), false},
      {"", false},          {"-starts-with-dash", false},  {"_under", false},
      {"9lives", true},     {"has space", false},          {"has.dot", false},
      {"has:colon", false}, {"Mixed_Case-1", true},
  };
  for (const auto& row : table) {
    const auto created = smn.create_topic(k_project, row.name);
    EXPECT_EQ(created.ok(), row.ok) << "'" << row.name << "'";
    if (!row.ok) {
      EXPECT_ERROR(created, invalid_argument, "name");
    }
  }
  EXPECT_ERROR(smn.create_topic("bad project", "t"), invalid_argument, "project_id");
  EXPECT_ERROR(smn.create_topic(k_project, "t", std::string(193, 'd')), invalid_argument,
               "display_name");
}

TEST(smn_test, list_show_delete_and_messages) {
  SmnTopics smn;
  const auto b = smn.create_topic(k_project, "b").value().topic;
  const auto a = smn.create_topic(k_project, "a").value().topic;
  EXPECT_EQ(smn.list_topics(k_project).value().topics, (std::vector<SmnTopic>{a, b})) << "by name";
  EXPECT_EQ(smn.show_topic(k_project, a.topic_urn).value(), a);
  EXPECT_TRUE(smn.messages(k_project, a.topic_urn)->empty());
  ASSERT_TRUE(smn.delete_topic(k_project, a.topic_urn).ok());
  EXPECT_ERROR(smn.show_topic(k_project, a.topic_urn), not_found, a.topic_urn);
  EXPECT_ERROR(smn.delete_topic(k_project, a.topic_urn), not_found, a.topic_urn);
  EXPECT_ERROR(smn.messages(k_project, "garbage"), not_found, "garbage");
}

TEST(smn_test, the_topic_quota_holds_per_project) {
  SmnTopics smn("region-1", SmnOptions{.max_topics_per_project = 2});
  ASSERT_TRUE(smn.create_topic(k_project, "a").ok());
  ASSERT_TRUE(smn.create_topic(k_project, "b").ok());
  EXPECT_ERROR(smn.create_topic(k_project, "c"), quota_exceeded, "2 topics");
  EXPECT_FALSE(smn.create_topic(k_project, "a")->created) << "an existing name is answered";
  EXPECT_TRUE(smn.create_topic(k_other_project, "c").ok()) << "per project";
  ASSERT_TRUE(
      smn.delete_topic(k_project, "urn:smn:region-1:" + std::string(k_project) + ":a").ok());
  EXPECT_TRUE(smn.create_topic(k_project, "c").ok()) << "a delete frees a place";
  EXPECT_EQ(smn.list_topics(k_project)->topic_count, 2U);
}

TEST(smn_test, a_topic_keeps_only_its_newest_messages) {
  auto smn = std::make_shared<SmnTopics>("region-1", SmnOptions{.kept_messages_per_topic = 3});
  const auto urn = smn->create_topic(k_project, "t")->topic.topic_urn;
  int heard = 0;
  ASSERT_TRUE(smn->subscribe(k_project, urn, [&](const std::string&) { ++heard; }).ok());
  for (int i = 0; i < 5; ++i) {
    const std::string message = "m" + std::to_string(i);
    const auto n = make_notification(
        {.project_id = k_project, .target = {"SMN", urn, "t"}, .message = message});
    EXPECT_EQ(smn->publish(*n).status, SinkStatus::delivered);
  }
  EXPECT_EQ(smn->messages(k_project, urn).value(), (std::vector<std::string>{"m2", "m3", "m4"}));
  EXPECT_EQ(heard, 5) << "every message is still handed to subscribers";
  EXPECT_EQ(SmnOptions{}.kept_messages_per_topic, 100U);
}

TEST(smn_test, topics_of_one_project_are_invisible_to_another) {
  SmnTopics smn;
  const auto mine = smn.create_topic(k_project, "shared-name").value().topic;
  EXPECT_TRUE(smn.list_topics(k_other_project)->topics.empty());
  EXPECT_ERROR(smn.show_topic(k_other_project, mine.topic_urn), not_found, "shared-name");
  EXPECT_ERROR(smn.delete_topic(k_other_project, mine.topic_urn), not_found, "shared-name");
  const auto theirs = smn.create_topic(k_other_project, "shared-name").value();
  EXPECT_TRUE(theirs.created) << "the same name is a different topic in another project";
  EXPECT_NE(theirs.topic.topic_urn, mine.topic_urn);
}

TEST(smn_test, subscribers_receive_published_messages) {
  auto smn = std::make_shared<SmnTopics>();
  Engine engine(Options{}, std::make_shared<ManualClock>());
  const ScopedConnection sink = engine.connect_sink("SMN", smn_sink(smn));
  const auto topic = smn->create_topic(k_project, "t").value().topic;
  std::vector<std::string> received;
  ASSERT_TRUE(smn->subscribe(k_project, topic.topic_urn,
                             [&](const std::string& message) { received.push_back(message); })
                  .ok());
  auto spec = testing::event_spec("e");
  spec.notification.target_id = topic.topic_urn;
  ASSERT_TRUE(engine.create_event(k_project, spec).ok());
  ASSERT_TRUE(engine.set_subscriptions(k_project, "db", std::vector<std::string>{"e"}).ok());
  ASSERT_TRUE(engine.trigger(k_project, {"db", EventType::secret_rotated}).ok());
  ASSERT_EQ(received.size(), 1U);
  EXPECT_EQ(received, smn->messages(k_project, topic.topic_urn).value());
  EXPECT_ERROR(smn->subscribe(k_other_project, topic.topic_urn, [](const std::string&) {}),
               not_found, "t");
}

}  // namespace

// ------------------------------------------------------------ HTTP(S) subscriptions (§5)

class smn_subscription_test : public ::testing::Test {
 protected:
  static SmnOptions options() {
    SmnOptions o;
    o.allow_private_endpoints = true;  // loopback endpoints, as the e2e tests use them
    return o;
  }
  SmnTopics smn_{"region-1", options()};
  std::string urn_ = smn_.create_topic(k_project, "rotations")->topic.topic_urn;
};

TEST_F(smn_subscription_test, added_once_per_endpoint_unconfirmed_with_a_secret_shown_once) {
  const auto added =
      smn_.add_subscription(k_project, urn_, "http", "http://127.0.0.1:9/hook", "ops");
  ASSERT_TRUE(added.ok()) << added.error().message();
  EXPECT_TRUE(added->created);
  const SmnSubscription& s = added->subscription;
  ASSERT_EQ(s.subscription_urn.size(), urn_.size() + 33);
  EXPECT_EQ(s.subscription_urn.substr(0, urn_.size() + 1), urn_ + ":");
  EXPECT_EQ(s.topic_urn, urn_);
  EXPECT_EQ(s.protocol, "http");
  EXPECT_EQ(s.endpoint, "http://127.0.0.1:9/hook");
  EXPECT_EQ(s.remark, "ops");
  EXPECT_EQ(s.owner, k_project);
  EXPECT_EQ(s.status, 0) << "unconfirmed until subscribe_url is fetched";
  EXPECT_TRUE(added->signing_secret.starts_with("whsec_"));
  EXPECT_EQ(added->confirm_token.size(), 32U);

  const auto again = smn_.add_subscription(k_project, urn_, "http", "http://127.0.0.1:9/hook");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->subscription.subscription_urn, s.subscription_urn) << "the existing URN";
  EXPECT_TRUE(again->signing_secret.empty()) << "the secret is shown only once";
  EXPECT_TRUE(again->confirm_token.empty()) << "no new confirmation";
  EXPECT_TRUE(smn_.push_targets(urn_).empty()) << "only confirmed subscriptions receive pushes";
}

TEST_F(smn_subscription_test, confirmed_by_token_then_pushed_to_and_unsubscribed_by_token) {
  const auto added = smn_.add_subscription(k_project, urn_, "http", "http://127.0.0.1:9/a").value();
  EXPECT_ERROR(smn_.confirm_subscription("00000000000000000000000000000000"), not_found, "token");
  const auto confirmed = smn_.confirm_subscription(added.confirm_token);
  ASSERT_TRUE(confirmed.ok()) << confirmed.error().message();
  EXPECT_EQ(confirmed->status, 1);
  EXPECT_EQ(smn_.confirm_subscription(added.confirm_token)->status, 1) << "idempotent";
  const auto targets = smn_.push_targets(urn_);
  ASSERT_EQ(targets.size(), 1U);
  EXPECT_EQ(targets[0].subscription.subscription_urn, added.subscription.subscription_urn);
  EXPECT_EQ(targets[0].signing_secret, added.signing_secret);

  const auto rotated = smn_.rotate_signing_secret(k_project, added.subscription.subscription_urn);
  ASSERT_TRUE(rotated.ok());
  EXPECT_NE(*rotated, added.signing_secret);
  EXPECT_EQ(smn_.push_targets(urn_).at(0).signing_secret, *rotated) << "the old one stops at once";

  const auto gone = smn_.unsubscribe(targets[0].unsubscribe_token);
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(smn_.list_subscriptions(k_project, urn_)->subscription_count, 0U);
  EXPECT_ERROR(smn_.unsubscribe(targets[0].unsubscribe_token), not_found, "token");
}

TEST_F(smn_subscription_test, listed_by_endpoint_in_pages_with_the_topics_total) {
  for (const char* endpoint :
       {"http://127.0.0.1:9/c", "http://127.0.0.1:9/a", "http://127.0.0.1:9/b"}) {
    ASSERT_TRUE(smn_.add_subscription(k_project, urn_, "http", endpoint).ok());
  }
  const auto page = smn_.list_subscriptions(k_project, urn_, 1, 1).value();
  EXPECT_EQ(page.subscription_count, 3U) << "the topic's total, whatever the page";
  ASSERT_EQ(page.subscriptions.size(), 1U);
  EXPECT_EQ(page.subscriptions[0].endpoint, "http://127.0.0.1:9/b");
  EXPECT_EQ(smn_.list_subscriptions(k_project, urn_)->subscriptions.size(), 3U);
  EXPECT_ERROR(smn_.list_subscriptions(k_project, urn_, 0, 0), invalid_argument, "limit");
  EXPECT_ERROR(smn_.list_subscriptions(k_project, urn_, 0, 101), invalid_argument, "limit");
  const auto first = smn_.list_subscriptions(k_project, urn_)->subscriptions.at(0);
  ASSERT_TRUE(smn_.delete_subscription(k_project, first.subscription_urn).ok());
  EXPECT_EQ(smn_.list_subscriptions(k_project, urn_)->subscription_count, 2U);
  EXPECT_ERROR(smn_.delete_subscription(k_project, first.subscription_urn), not_found,
               "subscription_urn");
}

TEST_F(smn_subscription_test, bad_input_is_refused_naming_the_field_and_nothing_is_added) {
  EXPECT_ERROR(smn_.add_subscription(k_project, urn_, "email", "http://127.0.0.1/"),
               invalid_argument, "protocol");
  EXPECT_ERROR(smn_.add_subscription(k_project, urn_, "https", "http://127.0.0.1/"),
               invalid_argument, "endpoint: its scheme http is not the protocol https");
  EXPECT_ERROR(smn_.add_subscription(k_project, urn_, "http", "http://u:p@127.0.0.1/"),
               invalid_argument, "endpoint");
  EXPECT_ERROR(
      smn_.add_subscription(k_project, urn_, "http", "http://127.0.0.1/", std::string(129, 'r')),
      invalid_argument, "remark");
  EXPECT_ERROR(smn_.add_subscription(k_project, urn_ + "x", "http", "http://127.0.0.1/"), not_found,
               "topic_urn");
  // Another project's topic is not found from this one.
  EXPECT_ERROR(smn_.add_subscription(k_other_project, urn_, "http", "http://127.0.0.1/"), not_found,
               "topic_urn");
  EXPECT_EQ(smn_.list_subscriptions(k_project, urn_)->subscription_count, 0U);
}

TEST(smn_ssrf_test, without_allow_private_endpoints_a_private_endpoint_is_refused_with_its_reason) {
  SmnTopics smn;
  const auto urn = smn.create_topic(k_project, "t")->topic.topic_urn;
  EXPECT_ERROR(smn.add_subscription(k_project, urn, "http", "http://127.0.0.1:8080/hook"),
               invalid_argument, "endpoint: 127.0.0.1 is a loopback address");
  EXPECT_ERROR(smn.add_subscription(k_project, urn, "http", "http://169.254.169.254/"),
               invalid_argument, "link-local");
  EXPECT_ERROR(smn.add_subscription(k_project, urn, "http", "http://localhost/"), invalid_argument,
               "endpoint: localhost resolves to");
  EXPECT_EQ(smn.list_subscriptions(k_project, urn)->subscription_count, 0U);
}

TEST(smn_auto_confirm_test, auto_confirm_confirms_at_once) {
  SmnOptions options;
  options.allow_private_endpoints = true;
  options.auto_confirm = true;
  SmnTopics smn("region-1", options);
  const auto urn = smn.create_topic(k_project, "t")->topic.topic_urn;
  EXPECT_EQ(smn.add_subscription(k_project, urn, "http", "http://127.0.0.1/")->subscription.status,
            1);
  EXPECT_EQ(smn.push_targets(urn).size(), 1U);
}

TEST_F(smn_subscription_test, deleting_the_topic_deletes_its_subscriptions) {
  const auto added = smn_.add_subscription(k_project, urn_, "http", "http://127.0.0.1:9/a").value();
  ASSERT_TRUE(smn_.delete_topic(k_project, urn_).ok());
  EXPECT_ERROR(smn_.confirm_subscription(added.confirm_token), not_found, "token");
  urn_ = smn_.create_topic(k_project, "rotations")->topic.topic_urn;
  EXPECT_EQ(smn_.list_subscriptions(k_project, urn_)->subscription_count, 0U)
      << "a topic made again under the name starts empty";
}

// ------------------------------------------------------------ pushes to real receivers (§5)

class smn_push_test : public ::testing::Test {
 protected:
  smn_push_test() {
    SmnOptions o;
    o.allow_private_endpoints = true;  // the receivers listen on loopback
    smn_ = std::make_shared<SmnTopics>("region-1", o);
    SmnPushOptions push;
    push.public_url = "http://herald.test:8080/";
    push.retry.initial_backoff = std::chrono::milliseconds(10);
    push.retry.max_backoff = std::chrono::milliseconds(40);
    push.attempt_timeout = std::chrono::milliseconds(3000);
    EXPECT_TRUE(smn_->start_pushing(push).ok());
    urn_ = smn_->create_topic(k_project, "rotations")->topic.topic_urn;
    sink_ = engine_.connect_sink("SMN", smn_sink(smn_));
    EXPECT_TRUE(engine_
                    .create_event(k_project, {"rotated",
                                              {EventType::secret_rotated},
                                              EventState::enabled,
                                              {"SMN", urn_, "rotations"}})
                    .ok());
    EXPECT_TRUE(
        engine_.set_subscriptions(k_project, "db", std::vector<std::string>{"rotated"}).ok());
  }

  // Subscribes the receiver and confirms through the token of the confirmation it received.
  std::string subscribe(testing::Receiver& receiver) {
    const auto added = smn_->add_subscription(k_project, urn_, "http", receiver.url()).value();
    const auto confirmation = wait_for(receiver, 1).at(0);
    const auto body = boost::json::parse(confirmation.body).as_object();
    EXPECT_EQ(body.at("type").as_string(), "SubscriptionConfirmation");
    const std::string url(body.at("subscribe_url").as_string());
    EXPECT_TRUE(url.starts_with("http://herald.test:8080/v2/smn/subscriptions/confirm?token="))
        << url;
    EXPECT_TRUE(smn_->confirm_subscription(url.substr(url.find("token=") + 6)).ok());
    return added.subscription.subscription_urn;
  }

  static std::vector<testing::ReceivedRequest> wait_for(const testing::Receiver& receiver,
                                                        std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (receiver.requests().size() < count && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return receiver.requests();
  }
  std::vector<SmnDeliveryLine> wait_final(std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      const auto lines = smn_->deliveries(k_project, urn_).value().deliveries;
      const auto final = std::count_if(lines.begin(), lines.end(),
                                       [](const auto& l) { return l.status != "PENDING"; });
      if (static_cast<std::size_t>(final) >= count) return lines;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return smn_->deliveries(k_project, urn_).value().deliveries;
  }
  std::string trigger() {
    return std::string(engine_.trigger(k_project, {"db", EventType::secret_rotated})
                           .value()
                           .notifications.at(0)
                           .notification_id);
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  Engine engine_{Options{}, clock_};
  std::shared_ptr<SmnTopics> smn_;
  std::string urn_;
  ScopedConnection sink_;
};

TEST_F(smn_push_test, a_trigger_reaches_the_confirmed_receiver_once_with_every_field) {
  testing::Receiver receiver;
  const std::string subscription = subscribe(receiver);
  const std::string id = trigger();
  const auto requests = wait_for(receiver, 2);
  ASSERT_EQ(requests.size(), 2U);
  const auto& push = requests[1];
  EXPECT_EQ(push.method, "POST");
  EXPECT_EQ(push.header("x-smn-message-type"), "Notification");
  EXPECT_EQ(push.header("x-smn-message-id"), id);
  EXPECT_EQ(push.header("x-smn-topic-urn"), urn_);
  EXPECT_EQ(push.header("x-smn-subscription-urn"), subscription);
  EXPECT_EQ(push.header("webhook-id"), id);
  EXPECT_TRUE(push.header("webhook-signature").starts_with("v1,"));
  const auto body = boost::json::parse(push.body).as_object();
  EXPECT_EQ(body.at("message_id").as_string(), id);
  EXPECT_EQ(body.at("subject").as_string(), "rotated");
  const auto message = boost::json::parse(body.at("message").as_string()).as_object();
  EXPECT_EQ(message.at("notification_id").as_string(), id) << "the herald message, as a string";
  const std::string cert_url(body.at("signing_cert_url").as_string());
  const auto key_id = cert_url.substr(cert_url.rfind('/') + 1, 16);
  EXPECT_TRUE(smn_->signing_certificate(key_id)->starts_with("-----BEGIN CERTIFICATE-----"));
  const auto lines = wait_final(1);
  ASSERT_EQ(lines.size(), 1U) << "confirmations are not in the delivery log";
  EXPECT_EQ(lines[0].status, "DELIVERED");
  EXPECT_EQ(lines[0].attempts, 1U);
  EXPECT_EQ(lines[0].last_http_status, 200);
  EXPECT_EQ(lines[0].next_attempt_time, std::nullopt);
}

TEST_F(smn_push_test, five_hundred_twice_then_two_hundred_is_three_attempts_with_one_message_id) {
  testing::Receiver receiver;
  subscribe(receiver);
  receiver.script({{.status = 500}, {.status = 500}, {.status = 200}});
  const std::string id = trigger();
  const auto lines = wait_final(1);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].status, "DELIVERED");
  EXPECT_EQ(lines[0].attempts, 3U);
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 4U) << "the confirmation, then three attempts";
  for (std::size_t i = 1; i < 4; ++i) EXPECT_EQ(requests[i].header("x-smn-message-id"), id);
}

TEST_F(smn_push_test, a_404_is_final_after_one_attempt_and_a_410_unsubscribes) {
  testing::Receiver missing;
  testing::Receiver gone;
  subscribe(missing);
  const std::string gone_urn = subscribe(gone);
  missing.script({{.status = 404}});
  gone.script({{.status = 410}});
  trigger();
  const auto lines = wait_final(2);
  ASSERT_EQ(lines.size(), 2U);
  for (const auto& line : lines) {
    EXPECT_EQ(line.status, "FAILED");
    EXPECT_EQ(line.attempts, 1U) << line.subscription_urn;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (smn_->list_subscriptions(k_project, urn_)->subscription_count != 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto left = smn_->list_subscriptions(k_project, urn_).value();
  ASSERT_EQ(left.subscription_count, 1U) << "410 removed its subscription";
  EXPECT_NE(left.subscriptions[0].subscription_urn, gone_urn);
}

TEST_F(smn_push_test, a_receiver_that_hangs_does_not_delay_another_on_the_same_topic) {
  testing::Receiver hung;
  testing::Receiver healthy;
  subscribe(hung);
  subscribe(healthy);
  hung.script({{.hang = true}, {.hang = true}, {.hang = true}, {.hang = true}, {.hang = true}});
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) trigger();
  const auto got = wait_for(healthy, 6);  // its confirmation and five pushes
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(got.size(), 6U);
  EXPECT_LT(took, std::chrono::milliseconds(2500))
      << "the healthy receiver got all five before the hung one's first attempt timed out (3 s)";
}

TEST_F(smn_push_test, the_delivery_log_pages_newest_first_with_markers) {
  testing::Receiver receiver;
  subscribe(receiver);
  const std::string first = trigger();
  const std::string second = trigger();
  const std::string third = trigger();
  ASSERT_EQ(wait_final(3).size(), 3U);
  const auto page = smn_->deliveries(k_project, urn_, std::nullopt, 2).value();
  ASSERT_EQ(page.deliveries.size(), 2U);
  EXPECT_EQ(page.deliveries[0].message_id, third) << "newest first";
  EXPECT_EQ(page.deliveries[1].message_id, second);
  ASSERT_FALSE(page.next_marker.empty());
  const auto rest = smn_->deliveries(k_project, urn_, std::nullopt, 2, page.next_marker).value();
  ASSERT_EQ(rest.deliveries.size(), 1U);
  EXPECT_EQ(rest.deliveries[0].message_id, first);
  EXPECT_TRUE(rest.next_marker.empty()) << "the last page";
  EXPECT_ERROR(smn_->deliveries(k_project, urn_, std::nullopt, 2, "x1"), invalid_argument,
               "marker");
  EXPECT_ERROR(smn_->deliveries(k_project, urn_, "LOST"), invalid_argument, "status");
  EXPECT_EQ(smn_->deliveries(k_project, urn_, "FAILED")->deliveries.size(), 0U);
}

TEST(smn_push_store_test, with_a_store_the_log_is_read_from_it_and_pages_the_same) {
  auto store = memory_store();
  SmnOptions o;
  o.allow_private_endpoints = true;
  o.auto_confirm = true;
  auto smn = SmnTopics::open("region-1", store, o).value();
  ASSERT_TRUE(smn->start_pushing({}).ok());
  const auto urn = smn->create_topic(k_project, "t")->topic.topic_urn;
  testing::Receiver receiver;
  ASSERT_TRUE(smn->add_subscription(k_project, urn, "http", receiver.url()).ok());
  Engine engine;
  const ScopedConnection sink = engine.connect_sink("SMN", smn_sink(smn));
  ASSERT_TRUE(
      engine
          .create_event(k_project,
                        {"e", {EventType::secret_rotated}, EventState::enabled, {"SMN", urn, "t"}})
          .ok());
  ASSERT_TRUE(engine.set_subscriptions(k_project, "db", std::vector<std::string>{"e"}).ok());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(engine.trigger(k_project, {"db", EventType::secret_rotated}).ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::vector<SmnDeliveryLine> all;
  do {
    all = smn->deliveries(k_project, urn, "DELIVERED", 10)->deliveries;
  } while (all.size() < 3 && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(all.size(), 3U) << "stored with every attempt's outcome";
  const auto page = smn->deliveries(k_project, urn, std::nullopt, 2).value();
  ASSERT_EQ(page.deliveries.size(), 2U);
  EXPECT_EQ(page.deliveries[0].message_id, all[0].message_id);
  const auto rest = smn->deliveries(k_project, urn, std::nullopt, 2, page.next_marker).value();
  ASSERT_EQ(rest.deliveries.size(), 1U);
  EXPECT_EQ(rest.deliveries[0].message_id, all[2].message_id);
}

}  // namespace herald
