// Events and subscriptions as the CSMS contract keeps them: create, show, list with paging,
// update, delete, subscriptions, quotas, times from the clock, and isolation of projects.
#include <gtest/gtest.h>

#include "model/uuid.hpp"
#include "test_support.hpp"

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::event_spec;
using testing::k_other_project;
using testing::k_project;
using testing::seed_event_spec;

class registry_test : public testing::engine_fixture {
 protected:
  void create(std::string_view project, const std::vector<std::string>& names) {
    for (const auto& name : names) {
      ASSERT_TRUE(engine_.create_event(project, event_spec(name)).ok()) << name;
    }
  }
  std::vector<std::string> names_of(const Page<Event>& page) {
    std::vector<std::string> names;
    for (const auto& event : page.items) names.push_back(event.name);
    return names;
  }
  std::vector<std::string> names_of(const Page<Secret>& page) {
    std::vector<std::string> names;
    for (const auto& secret : page.items) names.push_back(secret.name);
    return names;
  }
};

TEST_F(registry_test, the_seed_request_creates_the_documented_event) {
  const auto created = engine_.create_event(k_project, seed_event_spec());
  ASSERT_TRUE(created.ok()) << created.error().message();
  EXPECT_EQ(created->name, "demo-event");
  EXPECT_TRUE(detail::is_lower_case_uuid(created->event_id)) << created->event_id;
  EXPECT_EQ(created->event_id[14], '4');
  EXPECT_EQ(created->state, EventState::enabled);
  EXPECT_EQ(created->event_types, (std::vector<EventType>{EventType::secret_version_created,
                                                          EventType::secret_version_expired}));
  EXPECT_EQ(to_epoch_ms(created->create_time), 1'581'507'580'000);
  EXPECT_EQ(created->update_time, created->create_time);
  EXPECT_EQ(created->notification.target_id,
            "urn:smn:cn-north-4:dc3b7c85759141a991da17423c0f2068:test-poc");
  EXPECT_EQ(created->notification.target_name, "demo-smn-name");
  EXPECT_EQ(engine_.show_event(k_project, "demo-event").value(), created.value());
}

TEST_F(registry_test, event_ids_differ_between_events) {
  create(k_project, {"a", "b"});
  EXPECT_NE(engine_.show_event(k_project, "a")->event_id,
            engine_.show_event(k_project, "b")->event_id);
}

TEST_F(registry_test, a_taken_name_is_refused_and_the_first_event_kept) {
  const auto first = engine_.create_event(k_project, seed_event_spec());
  ASSERT_TRUE(first.ok());
  auto again = seed_event_spec();
  again.state = EventState::disabled;
  EXPECT_ERROR(engine_.create_event(k_project, again), already_exists, "demo-event");
  EXPECT_EQ(engine_.create_event(k_project, again).error().wire_code(), "HERALD.1001");
  EXPECT_EQ(engine_.show_event(k_project, "demo-event").value(), first.value());
}

TEST_F(registry_test, names_compare_byte_for_byte) {
  create(k_project, {"Event", "event"});
  EXPECT_EQ(engine_.show_event(k_project, "Event")->name, "Event");
  EXPECT_EQ(engine_.show_event(k_project, "event")->name, "event");
  EXPECT_ERROR(engine_.show_event(k_project, "EVENT"), not_found, "EVENT");
}

TEST_F(registry_test, show_update_delete_of_a_missing_event_answer_not_found) {
  EXPECT_ERROR(engine_.show_event(k_project, "missing"), not_found, "missing");
  EXPECT_EQ(engine_.show_event(k_project, "missing").error().wire_code(), "CSMS.0005");
  EXPECT_EQ(engine_.show_event(k_project, "missing").error().http_status(), 404);
  EXPECT_ERROR(engine_.update_event(k_project, "missing", {}), not_found, "missing");
  EXPECT_ERROR(engine_.delete_event(k_project, "missing"), not_found, "missing");
}

TEST_F(registry_test, times_come_from_the_clock_and_update_bumps_only_update_time) {
  const auto created = engine_.create_event(k_project, seed_event_spec()).value();
  clock_->advance(1500ms);
  EventPatch patch;
  patch.state = EventState::disabled;
  const auto updated = engine_.update_event(k_project, "demo-event", patch).value();
  EXPECT_EQ(updated.create_time, created.create_time);
  EXPECT_EQ(to_epoch_ms(updated.update_time), to_epoch_ms(created.create_time) + 1500);
  EXPECT_EQ(engine_.show_event(k_project, "demo-event")->update_time, updated.update_time);
}

TEST_F(registry_test, each_field_updates_alone) {
  const auto created = engine_.create_event(k_project, seed_event_spec()).value();

  EventPatch state;
  state.state = EventState::disabled;
  clock_->advance(1ms);
  auto after = engine_.update_event(k_project, "demo-event", state).value();
  EXPECT_EQ(after.state, EventState::disabled);
  EXPECT_EQ(after.event_types, created.event_types);
  EXPECT_EQ(after.notification, created.notification);

  EventPatch types;
  types.event_types = {EventType::secret_deleted, EventType::secret_rotated};
  clock_->advance(1ms);
  after = engine_.update_event(k_project, "demo-event", types).value();
  EXPECT_EQ(after.event_types, *types.event_types);
  EXPECT_EQ(after.state, EventState::disabled);
  EXPECT_EQ(after.notification, created.notification);

  EventPatch target;
  target.notification = NotificationTarget{"SMN", "urn:smn:region-1:p:other", "other"};
  clock_->advance(1ms);
  after = engine_.update_event(k_project, "demo-event", target).value();
  EXPECT_EQ(after.notification, *target.notification);
  EXPECT_EQ(after.event_types, *types.event_types);
  EXPECT_EQ(after.state, EventState::disabled);

  EXPECT_EQ(after.name, created.name) << "the name never changes";
  EXPECT_EQ(after.event_id, created.event_id) << "the id never changes";
  EXPECT_EQ(after.create_time, created.create_time);
  EXPECT_EQ(to_epoch_ms(after.update_time), to_epoch_ms(created.create_time) + 3);
  EXPECT_EQ(engine_.show_event(k_project, "demo-event").value(), after);
}

TEST_F(registry_test, delete_removes_the_event_and_frees_its_name) {
  create(k_project, {"gone"});
  ASSERT_TRUE(engine_.delete_event(k_project, "gone").ok());
  EXPECT_ERROR(engine_.show_event(k_project, "gone"), not_found, "gone");
  EXPECT_ERROR(engine_.delete_event(k_project, "gone"), not_found, "gone");
  EXPECT_TRUE(engine_.create_event(k_project, event_spec("gone")).ok());
}

TEST_F(registry_test, list_orders_by_name_and_pages_after_the_marker) {
  create(k_project, {"delta", "alpha", "echo", "charlie", "bravo"});

  const auto all = engine_.list_events(k_project, {}).value();
  EXPECT_EQ(names_of(all),
            (std::vector<std::string>{"alpha", "bravo", "charlie", "delta", "echo"}));
  EXPECT_EQ(all.page_info, (PageInfo{std::nullopt, std::nullopt, 5}));

  const auto first = engine_.list_events(k_project, PageQuery{.limit = 2}).value();
  EXPECT_EQ(names_of(first), (std::vector<std::string>{"alpha", "bravo"}));
  EXPECT_EQ(first.page_info, (PageInfo{"bravo", std::nullopt, 2}));

  const auto second = engine_.list_events(k_project, PageQuery{2, "bravo"}).value();
  EXPECT_EQ(names_of(second), (std::vector<std::string>{"charlie", "delta"}));
  EXPECT_EQ(second.page_info, (PageInfo{"delta", "bravo", 2}));

  const auto last = engine_.list_events(k_project, PageQuery{2, "delta"}).value();
  EXPECT_EQ(names_of(last), (std::vector<std::string>{"echo"}));
  EXPECT_EQ(last.page_info, (PageInfo{std::nullopt, "delta", 1}))
      << "no next_marker on the last page";

  const auto exact = engine_.list_events(k_project, PageQuery{5, ""}).value();
  EXPECT_EQ(exact.page_info.next_marker, std::nullopt) << "a page that ends the list has no next";
}

TEST_F(registry_test, list_limits_at_the_boundaries) {
  std::vector<std::string> names;
  for (int i = 0; i < 1001; ++i) names.push_back(testing::numbered_name(i));
  Options many;
  many.max_events_per_project = 2000;
  Engine engine(many, clock_);
  for (const auto& name : names) ASSERT_TRUE(engine.create_event(k_project, event_spec(name)).ok());

  EXPECT_EQ(engine.list_events(k_project, {})->items.size(), 50U) << "limit absent: 50";
  const auto one = engine.list_events(k_project, PageQuery{.limit = 1}).value();
  EXPECT_EQ(names_of(one), (std::vector<std::string>{names.front()}));
  EXPECT_EQ(one.page_info.next_marker, names.front());
  const auto thousand = engine.list_events(k_project, PageQuery{.limit = 1000}).value();
  EXPECT_EQ(thousand.items.size(), 1000U);
  EXPECT_EQ(thousand.page_info.next_marker, names[999]);
  const auto rest = engine.list_events(k_project, PageQuery{1000, names[999]}).value();
  EXPECT_EQ(names_of(rest), (std::vector<std::string>{names[1000]}));
  EXPECT_FALSE(rest.page_info.next_marker.has_value());
  EXPECT_ERROR(engine.list_events(k_project, PageQuery{.limit = 1001}), invalid_argument, "limit");
  EXPECT_ERROR(engine.list_events(k_project, PageQuery{.limit = 0}), invalid_argument, "limit");
}

TEST_F(registry_test, markers_first_last_between_and_unknown) {
  create(k_project, {"b", "d", "f"});
  const auto after = [&](std::string marker) {
    return names_of(engine_.list_events(k_project, PageQuery{50, std::move(marker)}).value());
  };
  using names = std::vector<std::string>;
  EXPECT_EQ(after("b"), (names{"d", "f"})) << "the first item as marker";
  EXPECT_EQ(after("f"), names{}) << "the last item as marker: an empty page";
  EXPECT_EQ(after("c"), (names{"d", "f"})) << "between two names, naming none";
  EXPECT_EQ(after("a"), (names{"b", "d", "f"})) << "before every name";
  EXPECT_EQ(after("z"), names{}) << "after every name";
  const auto empty_page = engine_.list_events(k_project, PageQuery{50, "f"}).value();
  EXPECT_EQ(empty_page.page_info, (PageInfo{std::nullopt, "f", 0}));
}

TEST_F(registry_test, the_event_quota_holds_at_its_boundary) {
  Options options;
  options.max_events_per_project = 3;
  Engine engine(options, clock_);
  for (auto name : {"a", "b", "c"})
    ASSERT_TRUE(engine.create_event(k_project, event_spec(name)).ok());
  const auto refused = engine.create_event(k_project, event_spec("d"));
  EXPECT_ERROR(refused, quota_exceeded, "3");
  EXPECT_EQ(refused.error().wire_code(), "HERALD.1003");
  EXPECT_ERROR(engine.show_event(k_project, "d"), not_found, "d");
  EXPECT_TRUE(engine.create_event(k_other_project, event_spec("d")).ok())
      << "quotas are per project";
  ASSERT_TRUE(engine.delete_event(k_project, "a").ok());
  EXPECT_TRUE(engine.create_event(k_project, event_spec("d")).ok()) << "a delete frees a place";
}

TEST_F(registry_test, the_default_quotas_are_the_public_ones) {
  EXPECT_EQ(engine_.options().max_events_per_project, 30U);
  EXPECT_EQ(engine_.options().max_events_per_secret, 1U);
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(engine_.create_event(k_project, event_spec(testing::numbered_name(i))).ok());
  EXPECT_ERROR(engine_.create_event(k_project, event_spec("one-more")), quota_exceeded, "30");
}

TEST_F(registry_test, the_secret_quota_holds_for_subscriptions_and_expiries) {
  Engine engine(Options{.max_secrets_per_project = 2}, clock_);
  ASSERT_TRUE(engine.create_event(k_project, event_spec("e")).ok());
  const std::vector<std::string> e = {"e"};
  ASSERT_TRUE(engine.set_subscriptions(k_project, "one", e).ok());
  ASSERT_TRUE(engine.set_version_expiry(k_project, "two", "v1", clock_->now() + 1h).ok());
  EXPECT_ERROR(engine.set_subscriptions(k_project, "three", e), quota_exceeded, "2 secrets");
  EXPECT_ERROR(engine.set_version_expiry(k_project, "three", "v1", clock_->now() + 1h),
               quota_exceeded, "2 secrets");
  EXPECT_ERROR(engine.show_secret(k_project, "three"), not_found, "three") << "nothing was made";
  EXPECT_TRUE(engine.set_subscriptions(k_project, "two", e).ok()) << "a known secret is no new one";
  EXPECT_TRUE(engine.set_subscriptions(k_other_project, "three", {}).ok()) << "per project";
  ASSERT_TRUE(engine.forget_secret(k_project, "one").ok());
  EXPECT_TRUE(engine.set_subscriptions(k_project, "three", e).ok()) << "forgetting frees a place";
  EXPECT_EQ(Options{}.max_secrets_per_project, 500U) << "the public quota";
}

TEST_F(registry_test, the_expiry_timer_quota_counts_armed_versions_of_one_secret) {
  Engine engine(Options{.max_expiry_timers_per_secret = 2}, clock_);
  ASSERT_TRUE(engine.set_version_expiry(k_project, "db", "v1", clock_->now() + 1h).ok());
  ASSERT_TRUE(engine.set_version_expiry(k_project, "db", "v2", clock_->now() + 1h).ok());
  EXPECT_ERROR(engine.set_version_expiry(k_project, "db", "v3", clock_->now() + 1h), quota_exceeded,
               "2 armed expiry timers");
  EXPECT_TRUE(engine.set_version_expiry(k_project, "db", "v2", clock_->now() + 2h).ok())
      << "re-arming an armed version is not one more";
  EXPECT_TRUE(engine.set_version_expiry(k_project, "other", "v3", clock_->now() + 1h).ok())
      << "per secret";
  ASSERT_TRUE(engine.set_version_expiry(k_project, "db", "v1", std::nullopt).ok());
  EXPECT_TRUE(engine.set_version_expiry(k_project, "db", "v3", clock_->now() + 1h).ok())
      << "a cancelled timer frees a place";
  clock_->advance(3h);
  EXPECT_EQ(engine.run_due(), 3U);
  EXPECT_TRUE(engine.set_version_expiry(k_project, "db", "v4", clock_->now() + 1h).ok())
      << "a fired timer frees its place";
}

TEST_F(registry_test, a_forgotten_secret_loses_its_subscriptions_and_timers) {
  ASSERT_TRUE(engine_.create_event(k_project, event_spec("e")).ok());
  ASSERT_TRUE(engine_.set_subscriptions(k_project, "db", std::vector<std::string>{"e"}).ok());
  ASSERT_TRUE(engine_.set_version_expiry(k_project, "db", "v1", clock_->now() + 1h).ok());
  int fired = 0;
  const ScopedConnection sink =
      engine_.connect_sink("SMN", callback_sink([&](const Notification&) { ++fired; }));
  ASSERT_TRUE(engine_.forget_secret(k_project, "db").ok());
  EXPECT_ERROR(engine_.show_secret(k_project, "db"), not_found, "db");
  EXPECT_TRUE(engine_.trigger(k_project, {"db", EventType::secret_rotated})->notifications.empty());
  clock_->advance(2h);
  EXPECT_EQ(engine_.run_due(), 0U) << "its timer is gone";
  EXPECT_EQ(fired, 0);
  EXPECT_TRUE(engine_.delete_event(k_project, "e").ok()) << "nothing subscribes any more";
  EXPECT_ERROR(engine_.forget_secret(k_project, "db"), not_found, "db");
  EXPECT_ERROR(engine_.forget_secret(k_project, ".."), invalid_argument, "secret_name");
}

TEST_F(registry_test, a_taken_name_is_reported_before_the_quota) {
  Options options;
  options.max_events_per_project = 1;
  Engine engine(options, clock_);
  ASSERT_TRUE(engine.create_event(k_project, event_spec("a")).ok());
  EXPECT_ERROR(engine.create_event(k_project, event_spec("a")), already_exists, "a");
}

TEST_F(registry_test, subscriptions_replace_clear_and_show) {
  Options options;
  options.max_events_per_secret = 3;
  Engine engine(options, clock_);
  for (auto name : {"e1", "e2", "e3"})
    ASSERT_TRUE(engine.create_event(k_project, event_spec(name)).ok());

  using names = std::vector<std::string>;
  auto set = engine.set_subscriptions(k_project, "db-password", names{"e2", "e1"});
  ASSERT_TRUE(set.ok()) << set.error().message();
  EXPECT_EQ(set.value(), (Secret{"db-password", {"e2", "e1"}})) << "order as set";
  EXPECT_EQ(engine.show_secret(k_project, "db-password").value(), set.value());

  set = engine.set_subscriptions(k_project, "db-password", names{"e3"});
  EXPECT_EQ(set->event_subscriptions, names{"e3"}) << "replace, not append";
  EXPECT_EQ(engine.list_secrets(k_project, "e1", {})->items.size(), 0U);
  EXPECT_EQ(engine.list_secrets(k_project, "e3", {})->items.size(), 1U);

  set = engine.set_subscriptions(k_project, "db-password", names{});
  EXPECT_EQ(set->event_subscriptions, names{}) << "[] clears";
  EXPECT_EQ(engine.show_secret(k_project, "db-password")->event_subscriptions, names{})
      << "a cleared secret stays known";
  EXPECT_TRUE(engine.delete_event(k_project, "e3").ok()) << "no longer in use";
}

TEST_F(registry_test, a_secret_with_only_empty_subscriptions_is_known) {
  ASSERT_TRUE(engine_.set_subscriptions(k_project, "fresh", std::vector<std::string>{}).ok());
  EXPECT_EQ(engine_.show_secret(k_project, "fresh").value(), (Secret{"fresh", {}}));
}

TEST_F(registry_test, subscribing_to_a_missing_event_is_not_found_and_changes_nothing) {
  create(k_project, {"e1"});
  using names = std::vector<std::string>;
  ASSERT_TRUE(engine_.set_subscriptions(k_project, "s", names{"e1"}).ok());
  const auto refused = engine_.set_subscriptions(k_project, "s", names{"nope"});
  EXPECT_ERROR(refused, not_found, "nope");
  EXPECT_EQ(refused.error().wire_code(), "CSMS.0005");
  EXPECT_EQ(engine_.show_secret(k_project, "s")->event_subscriptions, names{"e1"});
  EXPECT_ERROR(engine_.set_subscriptions(k_project, "t", names{"nope"}), not_found, "nope");
  EXPECT_ERROR(engine_.show_secret(k_project, "t"), not_found, "t")
      << "a refused call does not make the secret known";
}

TEST_F(registry_test, the_per_secret_quota_holds_at_its_boundary_after_existence) {
  create(k_project, {"e1", "e2"});
  using names = std::vector<std::string>;
  EXPECT_TRUE(engine_.set_subscriptions(k_project, "s", names{"e1"}).ok()) << "1 of 1";
  const auto refused = engine_.set_subscriptions(k_project, "s", names{"e1", "e2"});
  EXPECT_ERROR(refused, quota_exceeded, "event_subscriptions");
  EXPECT_EQ(engine_.show_secret(k_project, "s")->event_subscriptions, names{"e1"});
  EXPECT_ERROR(engine_.set_subscriptions(k_project, "s", names{"e1", "missing"}), not_found,
               "missing")
      << "existence is checked before quotas";
}

TEST_F(registry_test, an_event_in_use_cannot_be_deleted_and_the_message_counts_secrets) {
  create(k_project, {"rotation"});
  using names = std::vector<std::string>;
  for (auto secret : {"s1", "s2", "s3"}) {
    ASSERT_TRUE(engine_.set_subscriptions(k_project, secret, names{"rotation"}).ok());
  }
  const auto refused = engine_.delete_event(k_project, "rotation");
  EXPECT_ERROR(refused, in_use, "3 secrets");
  EXPECT_EQ(refused.error().wire_code(), "HERALD.1002");
  EXPECT_TRUE(engine_.show_event(k_project, "rotation").ok());

  ASSERT_TRUE(engine_.set_subscriptions(k_project, "s1", names{}).ok());
  ASSERT_TRUE(engine_.set_subscriptions(k_project, "s2", names{}).ok());
  EXPECT_ERROR(engine_.delete_event(k_project, "rotation"), in_use, "1 secret ");
  ASSERT_TRUE(engine_.set_subscriptions(k_project, "s3", names{}).ok());
  EXPECT_TRUE(engine_.delete_event(k_project, "rotation").ok());
}

TEST_F(registry_test, secrets_list_by_name_and_by_event_with_paging) {
  Options options;
  options.max_events_per_secret = 2;
  Engine engine(options, clock_);
  for (auto name : {"a", "b"}) ASSERT_TRUE(engine.create_event(k_project, event_spec(name)).ok());
  using names = std::vector<std::string>;
  ASSERT_TRUE(engine.set_subscriptions(k_project, "s3", names{"a"}).ok());
  ASSERT_TRUE(engine.set_subscriptions(k_project, "s1", names{"a", "b"}).ok());
  ASSERT_TRUE(engine.set_subscriptions(k_project, "s2", names{"b"}).ok());
  ASSERT_TRUE(engine.set_subscriptions(k_project, "s0", names{}).ok());

  EXPECT_EQ(names_of(engine.list_secrets(k_project, "", {}).value()),
            (names{"s0", "s1", "s2", "s3"}));
  EXPECT_EQ(names_of(engine.list_secrets(k_project, "a", {}).value()), (names{"s1", "s3"}));
  EXPECT_EQ(names_of(engine.list_secrets(k_project, "b", {}).value()), (names{"s1", "s2"}));

  const auto first = engine.list_secrets(k_project, "a", PageQuery{.limit = 1}).value();
  EXPECT_EQ(names_of(first), names{"s1"});
  EXPECT_EQ(first.page_info, (PageInfo{"s1", std::nullopt, 1}));
  EXPECT_EQ(first.items[0].event_subscriptions, (names{"a", "b"}));
  const auto second = engine.list_secrets(k_project, "a", PageQuery{1, "s1"}).value();
  EXPECT_EQ(names_of(second), names{"s3"});
  EXPECT_EQ(second.page_info, (PageInfo{std::nullopt, "s1", 1}));
  EXPECT_EQ(names_of(engine.list_secrets(k_project, "a", PageQuery{50, "s2"}).value()), names{"s3"})
      << "an unknown marker starts after where it would sort";
  EXPECT_EQ(names_of(engine.list_secrets(k_project, "", PageQuery{2, "s0"}).value()),
            (names{"s1", "s2"}));

  EXPECT_ERROR(engine.list_secrets(k_project, "nope", {}), not_found, "nope");
}

// Every operation of one project leaves the other untouched, and sees nothing of it.
TEST_F(registry_test, projects_are_isolated_for_every_operation) {
  using names = std::vector<std::string>;
  const auto mine = engine_.create_event(k_project, seed_event_spec()).value();
  ASSERT_TRUE(engine_.set_subscriptions(k_project, "shared-name", names{"demo-event"}).ok());

  // Reads of the other project see nothing.
  EXPECT_ERROR(engine_.show_event(k_other_project, "demo-event"), not_found, "demo-event");
  EXPECT_TRUE(engine_.list_events(k_other_project, {})->items.empty());
  EXPECT_ERROR(engine_.show_secret(k_other_project, "shared-name"), not_found, "shared-name");
  EXPECT_TRUE(engine_.list_secrets(k_other_project, "", {})->items.empty());
  EXPECT_ERROR(engine_.list_secrets(k_other_project, "demo-event", {}), not_found, "demo-event");

  // Writes in the other project do not reach this one.
  EXPECT_ERROR(engine_.update_event(k_other_project, "demo-event", {}), not_found, "demo-event");
  EXPECT_ERROR(engine_.delete_event(k_other_project, "demo-event"), not_found, "demo-event");
  EXPECT_ERROR(engine_.set_subscriptions(k_other_project, "shared-name", names{"demo-event"}),
               not_found, "demo-event");

  // The same name may exist in both, independently.
  auto theirs_spec = seed_event_spec();
  theirs_spec.state = EventState::disabled;
  const auto theirs = engine_.create_event(k_other_project, theirs_spec).value();
  EXPECT_NE(theirs.event_id, mine.event_id);
  ASSERT_TRUE(engine_.set_subscriptions(k_other_project, "shared-name", names{"demo-event"}).ok());
  EventPatch patch;
  patch.event_types = {EventType::secret_deleted};
  ASSERT_TRUE(engine_.update_event(k_other_project, "demo-event", patch).ok());
  ASSERT_TRUE(engine_.set_subscriptions(k_other_project, "shared-name", names{}).ok());
  ASSERT_TRUE(engine_.delete_event(k_other_project, "demo-event").ok());

  EXPECT_EQ(engine_.show_event(k_project, "demo-event").value(), mine);
  EXPECT_EQ(engine_.show_secret(k_project, "shared-name")->event_subscriptions,
            names{"demo-event"});
  EXPECT_ERROR(engine_.delete_event(k_project, "demo-event"), in_use, "1 secret");
}

}  // namespace
}  // namespace herald
