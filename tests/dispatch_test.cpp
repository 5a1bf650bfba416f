// Dispatch as a user sees it: which events fire for which lifecycle types, what each message
// says, and the record each delivery leaves: SUCCESS, FAIL or INVALID exactly as the contract's
// §2 table decides.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <thread>

#include "model/uuid.hpp"
#include "test_support.hpp"

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::k_other_project;
using testing::k_project;
using names = std::vector<std::string>;

constexpr std::string_view k_region = "region-1";

std::string urn(std::string_view project, std::string_view topic,
                std::string_view region = k_region) {
  return "urn:smn:" + std::string(region) + ":" + std::string(project) + ":" + std::string(topic);
}

class dispatch_test : public ::testing::Test {
 protected:
  explicit dispatch_test(Options options = many_per_secret())
      : engine_(options, clock_), smn_(std::make_shared<SmnTopics>(std::string(k_region))) {
    smn_connection_ = engine_.connect_sink("SMN", smn_sink(smn_));
    EXPECT_TRUE(smn_->create_topic(k_project, "rotation-topic").ok());
  }

  static Options many_per_secret() {
    Options options;
    options.max_events_per_secret = 12;
    return options;
  }

  // An enabled SMN event `name` on `types` publishing to topic `topic` of this project.
  void add_event(const std::string& name, std::vector<EventType> types,
                 std::string target_id = urn(k_project, "rotation-topic"),
                 std::string_view project = k_project) {
    EventSpec spec{.name = name,
                   .event_types = std::move(types),
                   .state = EventState::enabled,
                   .notification = {"SMN", std::move(target_id), "rotation-topic"}};
    ASSERT_TRUE(engine_.create_event(project, spec).ok()) << name;
  }
  void subscribe(std::string_view secret, const names& events,
                 std::string_view project = k_project) {
    ASSERT_TRUE(engine_.set_subscriptions(project, secret, events).ok()) << secret;
  }
  TriggerReport fire(std::string_view secret, EventType type, std::string_view version = {},
                     std::string_view project = k_project,
                     SecretType secret_type = SecretType::common) {
    auto report = engine_.trigger(project, LifecycleEvent{secret, type, secret_type, version});
    EXPECT_TRUE(report.ok()) << report.error().message();
    return report.ok() ? std::move(report).value() : TriggerReport{};
  }
  std::vector<NotificationRecord> records(std::string_view project = k_project) {
    return engine_.list_records(project, {}).value().items;
  }
  std::vector<std::string> topic_messages(std::string_view topic = "rotation-topic") {
    return smn_->messages(k_project, urn(k_project, topic)).value();
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  Engine engine_;
  std::shared_ptr<SmnTopics> smn_;
  ScopedConnection smn_connection_;
};

TEST_F(dispatch_test, each_event_type_fires_only_events_that_list_it) {
  for (const EventType listed : k_event_types) {
    for (const EventType fired : k_event_types) {
      Engine engine(many_per_secret(), clock_);
      std::vector<std::string> seen;
      const ScopedConnection sink = engine.connect_sink(
          "SMN", callback_sink([&](const Notification& n) { seen.emplace_back(n.event_name); }));
      EventSpec spec{"watch", {listed}, EventState::enabled, {"SMN", urn(k_project, "t"), "t"}};
      ASSERT_TRUE(engine.create_event(k_project, spec).ok());
      ASSERT_TRUE(engine.set_subscriptions(k_project, "db", names{"watch"}).ok());
      const auto report = engine.trigger(k_project, {"db", fired}).value();
      const bool should = listed == fired;
      EXPECT_EQ(report.notifications.size(), should ? 1U : 0U)
          << to_string(listed) << " fired by " << to_string(fired);
      EXPECT_EQ(seen.size(), should ? 1U : 0U);
      EXPECT_EQ(engine.list_records(k_project, {})->items.size(), should ? 1U : 0U);
    }
  }
}

TEST_F(dispatch_test, a_matched_delivery_succeeds_and_its_record_has_every_field) {
  add_event("rotation-watch", {EventType::secret_rotated});
  subscribe("db-password", {"rotation-watch"});
  clock_->advance(42ms);

  const auto report =
      fire("db-password", EventType::secret_rotated, "v3", k_project, SecretType::rds_fg);
  ASSERT_EQ(report.notifications.size(), 1U);
  const auto& delivery = report.notifications[0];
  EXPECT_EQ(delivery.event_name, "rotation-watch");
  EXPECT_TRUE(detail::is_lower_case_uuid(delivery.notification_id));
  EXPECT_EQ(delivery.notification_status, NotificationStatus::success);
  EXPECT_EQ(delivery.failure_reason, "");

  const auto published = topic_messages();
  ASSERT_EQ(published.size(), 1U);
  const auto all = records();
  ASSERT_EQ(all.size(), 1U);
  const NotificationRecord& record = all[0];
  EXPECT_EQ(record.event_name, "rotation-watch");
  EXPECT_EQ(record.trigger_event_type, EventType::secret_rotated);
  EXPECT_EQ(record.create_time, clock_->now());
  EXPECT_EQ(record.secret_name, "db-password");
  EXPECT_EQ(record.secret_type, SecretType::rds_fg);
  EXPECT_EQ(record.notification_target_name, "rotation-topic");
  EXPECT_EQ(record.notification_target_id, urn(k_project, "rotation-topic"));
  EXPECT_EQ(record.notification_target_type, "SMN");
  ASSERT_NE(record.notification_content, nullptr);
  EXPECT_EQ(*record.notification_content, published[0]) << "the record keeps the message sent";
  EXPECT_EQ(record.notification_status, NotificationStatus::success);
  EXPECT_EQ(record.notification_id, delivery.notification_id);
  EXPECT_EQ(record.failure_reason, "");
}

TEST_F(dispatch_test, the_message_carries_exactly_the_documented_fields) {
  add_event("rotation-watch", {EventType::secret_rotated, EventType::secret_deleted});
  subscribe("db-password", {"rotation-watch"});
  const auto event_id = engine_.show_event(k_project, "rotation-watch")->event_id;

  const auto with_version = fire("db-password", EventType::secret_rotated, "v7");
  const auto message = boost::json::parse(topic_messages().at(0)).as_object();
  const std::set<std::string> keys_expected = {"notification_id",    "event_name", "event_id",
                                               "trigger_event_type", "project_id", "secret_name",
                                               "secret_type",        "version_id", "trigger_time"};
  std::set<std::string> keys;
  for (const auto& field : message) keys.insert(std::string(field.key()));
  EXPECT_EQ(keys, keys_expected) << "no other field, so nothing else (no secret value, no token)";
  EXPECT_EQ(message.at("notification_id").as_string(),
            with_version.notifications[0].notification_id);
  EXPECT_EQ(message.at("event_name").as_string(), "rotation-watch");
  EXPECT_EQ(message.at("event_id").as_string(), event_id);
  EXPECT_EQ(message.at("trigger_event_type").as_string(), "SECRET_ROTATED");
  EXPECT_EQ(message.at("project_id").as_string(), k_project);
  EXPECT_EQ(message.at("secret_name").as_string(), "db-password");
  EXPECT_EQ(message.at("secret_type").as_string(), "COMMON");
  EXPECT_EQ(message.at("version_id").as_string(), "v7");
  EXPECT_EQ(message.at("trigger_time").as_int64(), to_epoch_ms(clock_->now()));

  fire("db-password", EventType::secret_deleted);
  const auto without_version = boost::json::parse(topic_messages().at(1)).as_object();
  EXPECT_FALSE(without_version.contains("version_id")) << "only when a version is concerned";
  EXPECT_EQ(without_version.size(), keys_expected.size() - 1);
}

TEST(dispatch_cloudevents_test, the_cloudevents_option_wraps_the_message) {
  Options options;
  options.message_format = MessageFormat::cloudevents;
  auto clock = std::make_shared<ManualClock>(from_epoch_ms(1'581'507'580'123));
  Engine engine(options, clock);
  std::string payload;
  const ScopedConnection sink = engine.connect_sink(
      "SMN", callback_sink([&](const Notification& n) { payload = n.message(); }));
  ASSERT_TRUE(engine.create_event(k_project, testing::event_spec("ce")).ok());
  ASSERT_TRUE(engine.set_subscriptions(k_project, "db", names{"ce"}).ok());
  const auto report = engine.trigger(k_project, {"db", EventType::secret_rotated}).value();

  const auto message = boost::json::parse(payload).as_object();
  EXPECT_EQ(message.at("specversion").as_string(), "1.0");
  EXPECT_EQ(message.at("id").as_string(), report.notifications.at(0).notification_id);
  EXPECT_EQ(message.at("type").as_string(), "herald.csms.SECRET_ROTATED");
  EXPECT_EQ(message.at("source").as_string(), "/v1/" + std::string(k_project) + "/csms/events/ce");
  EXPECT_EQ(message.at("subject").as_string(), "db");
  EXPECT_EQ(message.at("time").as_string(), "2020-02-12T11:39:40.123Z");
  EXPECT_EQ(message.at("datacontenttype").as_string(), "application/json");
  const auto& data = message.at("data").as_object();
  EXPECT_EQ(data.at("event_name").as_string(), "ce");
  EXPECT_EQ(data.at("trigger_time").as_int64(), 1'581'507'580'123);
}

TEST_F(dispatch_test, disabled_events_do_not_fire_and_write_no_record) {
  add_event("watch", {EventType::secret_rotated});
  subscribe("db", {"watch"});
  EventPatch disable;
  disable.state = EventState::disabled;
  ASSERT_TRUE(engine_.update_event(k_project, "watch", disable).ok());

  EXPECT_TRUE(fire("db", EventType::secret_rotated).notifications.empty());
  EXPECT_TRUE(records().empty());
  EXPECT_TRUE(topic_messages().empty());

  EventPatch enable;
  enable.state = EventState::enabled;
  ASSERT_TRUE(engine_.update_event(k_project, "watch", enable).ok());
  EXPECT_EQ(fire("db", EventType::secret_rotated).notifications.size(), 1U);
  EXPECT_EQ(records().size(), 1U);
}

TEST_F(dispatch_test, a_disabled_event_created_so_never_fires) {
  EventSpec spec{"off",
                 {EventType::secret_rotated},
                 EventState::disabled,
                 {"SMN", urn(k_project, "rotation-topic"), "t"}};
  ASSERT_TRUE(engine_.create_event(k_project, spec).ok());
  subscribe("db", {"off"});
  EXPECT_TRUE(fire("db", EventType::secret_rotated).notifications.empty());
  EXPECT_TRUE(records().empty());
}

TEST_F(dispatch_test, several_events_on_one_secret_each_deliver_in_subscription_order) {
  add_event("c", {EventType::secret_rotated});
  add_event("a", {EventType::secret_rotated, EventType::secret_deleted});
  add_event("b", {EventType::secret_deleted});
  subscribe("db", {"c", "a", "b"});

  const auto rotated = fire("db", EventType::secret_rotated);
  ASSERT_EQ(rotated.notifications.size(), 2U);
  EXPECT_EQ(rotated.notifications[0].event_name, "c");
  EXPECT_EQ(rotated.notifications[1].event_name, "a");
  EXPECT_NE(rotated.notifications[0].notification_id, rotated.notifications[1].notification_id);
  EXPECT_EQ(topic_messages().size(), 2U);
  EXPECT_EQ(records().size(), 2U);
}

TEST_F(dispatch_test, routes_follow_updates_of_types_and_subscriptions) {
  add_event("watch", {EventType::secret_rotated});
  subscribe("db", {"watch"});
  EventPatch retype;
  retype.event_types = {EventType::secret_deleted};
  ASSERT_TRUE(engine_.update_event(k_project, "watch", retype).ok());
  EXPECT_TRUE(fire("db", EventType::secret_rotated).notifications.empty());

  subscribe("db", {});
  EXPECT_TRUE(fire("db", EventType::secret_deleted).notifications.empty()) << "unsubscribed";
  subscribe("db", {"watch"});
  EXPECT_EQ(fire("db", EventType::secret_deleted).notifications.size(), 1U);
}

TEST_F(dispatch_test, a_target_update_is_used_by_the_next_dispatch) {
  ASSERT_TRUE(smn_->create_topic(k_project, "second").ok());
  add_event("watch", {EventType::secret_rotated});
  subscribe("db", {"watch"});
  EventPatch retarget;
  retarget.notification = NotificationTarget{"SMN", urn(k_project, "second"), "second"};
  ASSERT_TRUE(engine_.update_event(k_project, "watch", retarget).ok());
  fire("db", EventType::secret_rotated);
  EXPECT_TRUE(topic_messages("rotation-topic").empty());
  EXPECT_EQ(topic_messages("second").size(), 1U);
}

TEST_F(dispatch_test, a_secret_herald_does_not_know_matches_nothing) {
  EXPECT_TRUE(fire("never-seen", EventType::secret_rotated).notifications.empty());
  EXPECT_TRUE(records().empty());
}

struct FailRow {
  std::string target_id;
  NotificationStatus status;
  std::string reason_part;
  std::string why;
};

TEST_F(dispatch_test, smn_targets_end_as_success_fail_or_invalid) {
  ASSERT_TRUE(smn_->create_topic(k_other_project, "theirs").ok());
  const std::vector<FailRow> table = {
      {urn(k_project, "rotation-topic"), NotificationStatus::success, "", "an existing topic"},
      {urn(k_project, "missing-topic"), NotificationStatus::fail, "does not exist",
       "a topic that does not exist"},
      {urn(k_other_project, "theirs"), NotificationStatus::fail, "another project",
       "another project's topic"},
      {urn(k_project, "rotation-topic", "cn-north-4"), NotificationStatus::fail, "region",
       "another region names no topic here"},
      {"not-a-urn", NotificationStatus::invalid, "not-a-urn", "not a URN"},
      {"urn:smn:region-1:" + std::string(k_project), NotificationStatus::invalid, "urn:smn",
       "a part missing"},
      {"urn:smn::" + std::string(k_project) + ":t", NotificationStatus::invalid, "urn:smn",
       "an empty region"},
      {"urn:smn:region-1::t", NotificationStatus::invalid, "urn:smn", "an empty project"},
      {"urn:smn:region-1:" + std::string(k_project) + ":", NotificationStatus::invalid, "urn:smn",
       "an empty topic"},
      {"urn:smn:region-1:" + std::string(k_project) + ":-bad", NotificationStatus::invalid,
       "urn:smn", "a topic name starting with '-'"},
      {"urn:smn:region-1:" + std::string(k_project) + ":a:b", NotificationStatus::invalid,
       "urn:smn", "a topic name with ':'"},
      {"urn:sms:region-1:" + std::string(k_project) + ":t", NotificationStatus::invalid, "urn:smn",
       "another service"},
  };
  int i = 0;
  for (const auto& row : table) {
    SCOPED_TRACE(row.why);
    const std::string event = "e" + std::to_string(i);
    const std::string secret = "s" + std::to_string(i++);
    add_event(event, {EventType::secret_rotated}, row.target_id);
    subscribe(secret, {event});
    const auto report = fire(secret, EventType::secret_rotated);
    ASSERT_EQ(report.notifications.size(), 1U);
    EXPECT_EQ(report.notifications[0].notification_status, row.status);
    const auto record =
        engine_.list_records(k_project, RecordQuery{.secret_name = secret}).value().items.at(0);
    EXPECT_EQ(record.notification_status, row.status);
    EXPECT_EQ(record.notification_target_id, row.target_id);
    EXPECT_NE(record.failure_reason.find(row.reason_part), std::string::npos)
        << record.failure_reason;
    EXPECT_EQ(record.failure_reason.empty(), row.status == NotificationStatus::success);
  }
  EXPECT_EQ(smn_->messages(k_other_project, urn(k_other_project, "theirs"))->size(), 0U)
      << "nothing reached the other project's topic";
}

TEST_F(dispatch_test, target_name_is_only_a_label) {
  // The seed's own example: the URN's topic is test-poc, the name demo-smn-name.
  ASSERT_TRUE(smn_->create_topic(k_project, "test-poc").ok());
  auto spec = testing::seed_event_spec();
  spec.notification.target_id = urn(k_project, "test-poc");
  ASSERT_TRUE(engine_.create_event(k_project, spec).ok());
  subscribe("db", {"demo-event"});
  const auto report = fire("db", EventType::secret_version_created);
  ASSERT_EQ(report.notifications.size(), 1U);
  EXPECT_EQ(report.notifications[0].notification_status, NotificationStatus::success);
  EXPECT_EQ(records().at(0).notification_target_name, "demo-smn-name");
  EXPECT_EQ(topic_messages("test-poc").size(), 1U);
}

TEST_F(dispatch_test, a_target_type_no_sink_serves_is_invalid) {
  EventSpec spec{"hook",
                 {EventType::secret_rotated},
                 EventState::enabled,
                 {"WEBHOOK", "https://example.invalid/hook", "hook"}};
  ASSERT_TRUE(engine_.create_event(k_project, spec).ok());
  subscribe("db", {"hook"});
  const auto report = fire("db", EventType::secret_rotated);
  ASSERT_EQ(report.notifications.size(), 1U);
  EXPECT_EQ(report.notifications[0].notification_status, NotificationStatus::invalid);
  const auto record = records().at(0);
  EXPECT_EQ(record.notification_status, NotificationStatus::invalid);
  EXPECT_NE(record.failure_reason.find("no sink serves target_type WEBHOOK"), std::string::npos);
  ASSERT_NE(record.notification_content, nullptr);
  EXPECT_FALSE(record.notification_content->empty()) << "the record still shows the message";

  smn_connection_ = ScopedConnection{};  // the SMN sink goes away too
  add_event("smn-event", {EventType::secret_rotated});
  subscribe("db2", {"smn-event"});
  EXPECT_EQ(fire("db2", EventType::secret_rotated).notifications.at(0).notification_status,
            NotificationStatus::invalid);
}

TEST_F(dispatch_test, secret_deleted_fires_then_forgets_subscriptions_and_timers) {
  add_event("bye", {EventType::secret_deleted, EventType::secret_version_expired});
  subscribe("db", {"bye"});
  ASSERT_TRUE(engine_.set_version_expiry(k_project, "db", "v1", clock_->now() + 10s).ok());

  const auto report = fire("db", EventType::secret_deleted);
  ASSERT_EQ(report.notifications.size(), 1U);
  EXPECT_EQ(report.notifications[0].notification_status, NotificationStatus::success);

  EXPECT_ERROR(engine_.show_secret(k_project, "db"), not_found, "db");
  EXPECT_FALSE(engine_.show_version_expiry(k_project, "db", "v1")->expire_time.has_value());
  EXPECT_TRUE(engine_.list_secrets(k_project, "bye", {})->items.empty());
  EXPECT_TRUE(engine_.delete_event(k_project, "bye").ok()) << "no longer in use";
  clock_->advance(20s);
  EXPECT_EQ(engine_.run_due(), 0U);
  EXPECT_EQ(records().size(), 1U) << "only the SECRET_DELETED record";
}

TEST_F(dispatch_test, triggers_topics_and_records_are_isolated_between_projects) {
  // The same event and secret names in two projects, each with its own topic.
  ASSERT_TRUE(smn_->create_topic(k_other_project, "rotation-topic").ok());
  add_event("watch", {EventType::secret_rotated});
  add_event("watch", {EventType::secret_rotated}, urn(k_other_project, "rotation-topic"),
            k_other_project);
  subscribe("db", {"watch"});
  subscribe("db", {"watch"}, k_other_project);

  fire("db", EventType::secret_rotated);
  EXPECT_EQ(topic_messages().size(), 1U);
  EXPECT_TRUE(smn_->messages(k_other_project, urn(k_other_project, "rotation-topic"))->empty());
  EXPECT_EQ(records().size(), 1U);
  EXPECT_TRUE(records(k_other_project).empty());

  EXPECT_EQ(smn_->list_topics(k_other_project)->topics.size(), 1U);
  EXPECT_ERROR(smn_->show_topic(k_other_project, urn(k_project, "rotation-topic")), not_found,
               "rotation-topic");

  fire("db", EventType::secret_deleted, {}, k_other_project);
  EXPECT_TRUE(engine_.show_secret(k_project, "db").ok()) << "a deletion in one project only";
}

TEST_F(dispatch_test, triggers_check_their_arguments) {
  EXPECT_ERROR(engine_.trigger("bad project", {"db", EventType::secret_rotated}), invalid_argument,
               "project_id");
  EXPECT_ERROR(engine_.trigger(k_project, {"bad secret", EventType::secret_rotated}),
               invalid_argument, "secret_name");
  EXPECT_ERROR(engine_.trigger(k_project, {"", EventType::secret_rotated}), invalid_argument,
               "secret_name");
  EXPECT_ERROR(
      engine_.trigger(k_project, {"db", EventType::secret_rotated, SecretType::common, "v/1"}),
      invalid_argument, "version_id");
  EXPECT_ERROR(engine_.trigger(k_project, {"db", static_cast<EventType>(9)}), invalid_argument,
               "event_type");
  EXPECT_ERROR(
      engine_.trigger(k_project, {"db", EventType::secret_rotated, static_cast<SecretType>(9)}),
      invalid_argument, "secret_type");
}

}  // namespace

TEST_F(dispatch_test, notification_ids_are_uuid_v7_carrying_their_trigger_time) {
  add_event("e", {EventType::secret_rotated});
  subscribe("db", {"e"});
  const std::string first(
      fire("db", EventType::secret_rotated).notifications.at(0).notification_id);
  clock_->advance(1ms);
  const std::string second(
      fire("db", EventType::secret_rotated).notifications.at(0).notification_id);
  for (const auto& id : {first, second}) {
    EXPECT_TRUE(detail::is_lower_case_uuid(id)) << id;
    EXPECT_EQ(id[14], '7') << "version 7: " << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << "RFC variant: " << id;
  }
  // The first 48 bits are the trigger time in ms, so that ids sort by time.
  const auto ms = static_cast<std::uint64_t>(to_epoch_ms(clock_->now() - 1ms));
  EXPECT_EQ(first.substr(0, 13), fmt::format("{:08x}-{:04x}", ms >> 16, ms & 0xffff));
  EXPECT_LT(first, second) << "a later trigger's id sorts after";
  EXPECT_EQ(records().at(1).notification_id, first) << "the record carries the same id";
}

TEST(notification_test, is_one_block_whose_message_is_rendered_once_also_across_threads) {
  const std::string project(k_project);
  std::string id = "01900000-0000-7000-8000-000000000001";
  const auto n = make_notification({.notification_id = id,
                                    .project_id = project,
                                    .event_name = "e",
                                    .event_id = "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e",
                                    .trigger_event_type = EventType::secret_rotated,
                                    .secret_name = "db",
                                    .version_id = "v1",
                                    .target = {"SMN", "urn:smn:r:p:t", "t"}});
  id.assign(id.size(), 'x');  // the notification holds copies, not views of the caller's text
  EXPECT_EQ(n->notification_id, "01900000-0000-7000-8000-000000000001");
  EXPECT_EQ(n->version_id, std::optional<std::string_view>("v1"));
  std::vector<const char*> seen(8);
  std::vector<std::thread> threads;
  for (auto& at : seen) threads.emplace_back([&] { at = n->message().data(); });
  for (auto& t : threads) t.join();
  for (const char* at : seen) EXPECT_EQ(at, seen[0]) << "one rendering, shared";
  const auto message = boost::json::parse(n->message()).as_object();
  EXPECT_EQ(message.at("notification_id").as_string(), n->notification_id);
  EXPECT_EQ(message.at("version_id").as_string(), "v1");
  // A copy through its fields (as the memory store keeps one) carries the same message.
  const auto copy = make_notification(fields_of(*n));
  EXPECT_EQ(copy->message(), n->message());
  EXPECT_NE(copy->message().data(), n->message().data());
}

}  // namespace herald
