// Every validation rule of the contract (§1, §2, §3 names), table-driven, through the Engine as
// a user calls it: a rejected request answers CSMS.0002 naming the field and stores nothing.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace herald {
namespace {

using testing::event_spec;
using testing::k_project;
using testing::seed_event_spec;

class validate_test : public testing::engine_fixture {
 protected:
  // Asserts that nothing was stored by a rejected call.
  void expect_project_empty() {
    const auto page = engine_.list_events(k_project, {});
    ASSERT_TRUE(page.ok());
    EXPECT_TRUE(page->items.empty());
  }
};

struct NameRow {
  std::string name;
  bool accepted;
  std::string why;
};

TEST_F(validate_test, event_names_follow_the_csms_pattern) {
  const std::vector<NameRow> table = {
      {"", false, "0 chars"},
      {"a", true, "1 char"},
      {std::string(64, 'n'), true, "64 chars"},
      {std::string(65, 'n'), false, "65 chars"},
      {"demo.event", false, "a period (allowed only by one regional copy of the docs)"},
      {"demo event", false, "a space"},
      {"d\xC3\xA9mo", false, "non-ASCII (UTF-8 e-acute)"},
      {"demo/event", false, "a slash"},
      {"demo\tevent", false, "a tab"},
      {std::string("de\0mo", 5), false, "a NUL byte"},
      {"Demo_Event-09", true, "letters, digits, _ and -"},
      {"-", true, "a lone hyphen"},
      {"_", true, "a lone underscore"},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(row.why);
    const auto created = engine_.create_event(k_project, event_spec(row.name));
    if (row.accepted) {
      ASSERT_TRUE(created.ok()) << created.error().message();
      EXPECT_EQ(created->name, row.name);
      ASSERT_TRUE(engine_.delete_event(k_project, row.name).ok());
    } else {
      EXPECT_ERROR(created, invalid_argument, "name");
      expect_project_empty();
    }
  }
}

TEST_F(validate_test, each_event_type_alone_is_accepted_and_kept) {
  int i = 0;
  for (const auto type : k_event_types) {
    auto spec = event_spec("event-" + std::to_string(i++));
    spec.event_types = {type};
    const auto created = engine_.create_event(k_project, spec);
    ASSERT_TRUE(created.ok()) << to_string(type) << ": " << created.error().message();
    EXPECT_EQ(created->event_types, std::vector<EventType>{type});
    EXPECT_EQ(engine_.show_event(k_project, spec.name)->event_types, std::vector<EventType>{type});
  }
}

TEST_F(validate_test, event_types_count_and_uniqueness) {
  using enum EventType;
  const std::vector<EventType> all_five = {secret_version_created, secret_version_expired,
                                           secret_rotated, secret_deleted, secret_rotated_failed};
  std::vector<EventType> twelve = all_five;
  while (twelve.size() < 12) twelve.push_back(all_five[twelve.size() % 5]);
  std::vector<EventType> thirteen = twelve;
  thirteen.push_back(secret_rotated);

  struct Row {
    std::vector<EventType> types;
    bool accepted;
    std::string message_part;
    std::string why;
  };
  const std::vector<Row> table = {
      {{}, false, "at least one", "0 types: an event with no type can never fire"},
      {{secret_deleted}, true, "", "1 type"},
      {all_five, true, "", "all five, distinct"},
      {twelve, false, "twice", "12 items can only be reached with repeats, which are refused"},
      {thirteen, false, "at most 12", "13 items"},
      {{secret_rotated, secret_rotated}, false, "twice", "a duplicate"},
      {{secret_rotated, secret_deleted, secret_rotated},
       false,
       "event_types[2]",
       "the duplicate's position is named"},
      {{static_cast<EventType>(17)}, false, "not a known event type", "an out-of-range value"},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(row.why);
    auto spec = event_spec("types");
    spec.event_types = row.types;
    const auto created = engine_.create_event(k_project, spec);
    if (row.accepted) {
      ASSERT_TRUE(created.ok()) << created.error().message();
      EXPECT_EQ(created->event_types, row.types) << "order as sent is kept";
      ASSERT_TRUE(engine_.delete_event(k_project, "types").ok());
    } else {
      EXPECT_ERROR(created, invalid_argument, "event_types");
      EXPECT_NE(created.error().message().find(row.message_part), std::string::npos)
          << created.error().message();
      expect_project_empty();
    }
  }
}

TEST_F(validate_test, types_are_kept_in_the_order_sent) {
  auto spec = event_spec("ordered");
  spec.event_types = {EventType::secret_deleted, EventType::secret_version_created,
                      EventType::secret_rotated};
  ASSERT_TRUE(engine_.create_event(k_project, spec).ok());
  EXPECT_EQ(engine_.show_event(k_project, "ordered")->event_types, spec.event_types);
}

TEST_F(validate_test, state_must_be_one_of_the_two_values) {
  auto spec = event_spec("state");
  spec.state = static_cast<EventState>(7);
  EXPECT_ERROR(engine_.create_event(k_project, spec), invalid_argument, "state");
  spec.state = EventState::disabled;
  const auto created = engine_.create_event(k_project, spec);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->state, EventState::disabled);
}

TEST_F(validate_test, the_three_notification_fields_are_required_and_bounded) {
  struct Row {
    NotificationTarget target;
    std::string field;  // empty: accepted
    std::string why;
  };
  const NotificationTarget good = seed_event_spec().notification;
  auto with = [&](auto change) {
    NotificationTarget t = good;
    change(t);
    return t;
  };
  const std::vector<Row> table = {
      {good, "", "the seed's target (URN topic differs from target_name: only a label)"},
      {with([](auto& t) { t.target_type.clear(); }), "notification.target_type", "no type"},
      {with([](auto& t) { t.target_id.clear(); }), "notification.target_id", "no id"},
      {with([](auto& t) { t.target_name.clear(); }), "notification.target_name", "no name"},
      {with([](auto& t) { t.target_type = "S MN"; }), "notification.target_type", "space"},
      {with([](auto& t) { t.target_type = std::string(65, 'T'); }), "notification.target_type",
       "65-char type"},
      {with([](auto& t) { t.target_type = std::string(64, 'T'); }), "", "64-char type"},
      {with([](auto& t) { t.target_id = "urn:smn:a b"; }), "notification.target_id", "space"},
      {with([](auto& t) { t.target_id = std::string(257, 'u'); }), "notification.target_id",
       "257-char id"},
      {with([](auto& t) { t.target_id = std::string(256, 'u'); }), "", "256-char id"},
      {with([](auto& t) { t.target_name = "line\nbreak"; }), "notification.target_name",
       "control character"},
      {with([](auto& t) { t.target_name = std::string(257, 'n'); }), "notification.target_name",
       "257-byte name"},
      {with([](auto& t) { t.target_name = "th\xC3\xA9me"; }), "", "UTF-8 display name"},
      {with([](auto& t) { t.target_type = "WEBHOOK"; }), "",
       "an unserved type is stored (INVALID only when it fires)"},
      {with([](auto& t) { t.target_id = "not-a-urn"; }), "",
       "a malformed URN is stored (INVALID only when it fires)"},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(row.why);
    auto spec = event_spec("target");
    spec.notification = row.target;
    const auto created = engine_.create_event(k_project, spec);
    if (row.field.empty()) {
      ASSERT_TRUE(created.ok()) << created.error().message();
      EXPECT_EQ(created->notification, row.target);
      ASSERT_TRUE(engine_.delete_event(k_project, "target").ok());
    } else {
      EXPECT_ERROR(created, invalid_argument, row.field);
      expect_project_empty();
    }
  }
}

TEST_F(validate_test, project_ids_are_checked_on_every_call) {
  const std::vector<std::string> bad = {"",         std::string(65, 'p'), "proj.ect",
                                        "proj ect", "pr\xC3\xB6ject",     "../etc"};
  const std::vector<std::string> names = {"x"};
  for (const auto& project : bad) {
    SCOPED_TRACE(project);
    EXPECT_ERROR(engine_.create_event(project, event_spec("x")), invalid_argument, "project_id");
    EXPECT_ERROR(engine_.show_event(project, "x"), invalid_argument, "project_id");
    EXPECT_ERROR(engine_.list_events(project, {}), invalid_argument, "project_id");
    EXPECT_ERROR(engine_.update_event(project, "x", {}), invalid_argument, "project_id");
    EXPECT_ERROR(engine_.delete_event(project, "x"), invalid_argument, "project_id");
    EXPECT_ERROR(engine_.set_subscriptions(project, "s", names), invalid_argument, "project_id");
    EXPECT_ERROR(engine_.show_secret(project, "s"), invalid_argument, "project_id");
    EXPECT_ERROR(engine_.list_secrets(project, "", {}), invalid_argument, "project_id");
  }
  EXPECT_TRUE(engine_.list_events(std::string(64, 'p'), {}).ok());
}

TEST_F(validate_test, secret_names_take_the_wider_rule_with_periods) {
  ASSERT_TRUE(engine_.create_event(k_project, event_spec("e")).ok());
  const std::vector<std::string> names = {"e"};
  const std::vector<NameRow> table = {
      {"", false, "0 chars"},
      {"s", true, "1 char"},
      {std::string(64, 's'), true, "64 chars"},
      {std::string(65, 's'), false, "65 chars"},
      {"db.password", true, "a period is allowed in secret names"},
      {"db password", false, "a space"},
      {"../../etc/passwd", false, "path traversal"},
      {"s\xC3\xA9", false, "non-ASCII"},
      {".", false, "'.' is a path segment a proxy removes"},
      {"..", false, "'..' likewise"},
      {"...", true, "three periods are a name"},
      {".hidden", true, "a leading period"},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(row.why);
    const auto set = engine_.set_subscriptions(k_project, row.name, names);
    if (row.accepted) {
      ASSERT_TRUE(set.ok()) << set.error().message();
      EXPECT_EQ(engine_.show_secret(k_project, row.name)->event_subscriptions, names);
    } else {
      EXPECT_ERROR(set, invalid_argument, "secret_name");
      EXPECT_ERROR(engine_.show_secret(k_project, row.name), invalid_argument, "secret_name");
      EXPECT_ERROR(engine_.trigger(k_project, {row.name, EventType::secret_rotated}),
                   invalid_argument, "secret_name");
    }
  }
  EXPECT_ERROR(
      engine_.set_version_expiry(k_project, "db", "..", clock_->now() + std::chrono::hours(1)),
      invalid_argument, "version_id");
}

TEST_F(validate_test, update_bodies_check_only_what_they_carry) {
  ASSERT_TRUE(engine_.create_event(k_project, seed_event_spec()).ok());
  const auto before = engine_.show_event(k_project, "demo-event").value();

  EventPatch empty_types;
  empty_types.event_types = std::vector<EventType>{};
  EXPECT_ERROR(engine_.update_event(k_project, "demo-event", empty_types), invalid_argument,
               "event_types");

  EventPatch dup_types;
  dup_types.event_types = {EventType::secret_rotated, EventType::secret_rotated};
  EXPECT_ERROR(engine_.update_event(k_project, "demo-event", dup_types), invalid_argument,
               "event_types");

  EventPatch bad_state;
  bad_state.state = static_cast<EventState>(3);
  EXPECT_ERROR(engine_.update_event(k_project, "demo-event", bad_state), invalid_argument, "state");

  for (auto clear : {&NotificationTarget::target_type, &NotificationTarget::target_id,
                     &NotificationTarget::target_name}) {
    EventPatch partial_target;
    partial_target.notification = seed_event_spec().notification;
    (*partial_target.notification).*clear = "";
    EXPECT_ERROR(engine_.update_event(k_project, "demo-event", partial_target), invalid_argument,
                 "notification.target_");
  }

  EXPECT_ERROR(engine_.update_event(k_project, "demo.event", {}), invalid_argument, "name");
  EXPECT_EQ(engine_.show_event(k_project, "demo-event").value(), before)
      << "a rejected update changes nothing";
}

TEST_F(validate_test, subscription_lists_name_events_well_and_once) {
  ASSERT_TRUE(engine_.create_event(k_project, event_spec("a")).ok());
  const std::vector<std::string> bad_name = {"a.b"};
  EXPECT_ERROR(engine_.set_subscriptions(k_project, "s", bad_name), invalid_argument,
               "event_subscriptions[0]");
  const std::vector<std::string> twice = {"a", "a"};
  EXPECT_ERROR(engine_.set_subscriptions(k_project, "s", twice), invalid_argument, "twice");
  EXPECT_ERROR(engine_.show_secret(k_project, "s"), not_found, "s");
}

TEST_F(validate_test, page_queries_check_limit_and_marker) {
  for (std::size_t limit : {std::size_t{0}, std::size_t{1001}, std::size_t{1} << 40}) {
    EXPECT_ERROR(engine_.list_events(k_project, PageQuery{.limit = limit}), invalid_argument,
                 "limit");
    EXPECT_ERROR(engine_.list_secrets(k_project, "", PageQuery{.limit = limit}), invalid_argument,
                 "limit");
  }
  EXPECT_ERROR(engine_.list_events(k_project, PageQuery{.marker = "a.b"}), invalid_argument,
               "marker");
  EXPECT_ERROR(engine_.list_events(k_project, PageQuery{.marker = std::string(65, 'm')}),
               invalid_argument, "marker");
  EXPECT_TRUE(engine_.list_secrets(k_project, "", PageQuery{.marker = "a.b"}).ok())
      << "secret markers take the secret-name rule";
  EXPECT_ERROR(engine_.list_secrets(k_project, "", PageQuery{.marker = "a b"}), invalid_argument,
               "marker");
  EXPECT_ERROR(engine_.list_secrets(k_project, "bad.event", {}), invalid_argument, "event_name");
}

}  // namespace
}  // namespace herald
