// Notification records: newest first, paged, filtered, and kept for the retention period.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::k_project;
using names = std::vector<std::string>;

class records_test : public testing::engine_fixture {
 protected:
  records_test() {
    sink_ = engine_.connect_sink("SMN", [this](const Notification& n) {
      return n.secret_name.starts_with("bad") ? SinkOutcome::failed("refused")
                                              : SinkOutcome::delivered();
    });
    EXPECT_TRUE(engine_.create_event(k_project, testing::event_spec("a")).ok());
    EXPECT_TRUE(engine_.create_event(k_project, testing::event_spec("b")).ok());
  }
  // Subscribes `secret` to `event` and rotates it once; answers the notification id.
  std::string rotate(const std::string& secret, const std::string& event = "a") {
    EXPECT_TRUE(engine_.set_subscriptions(k_project, secret, names{event}).ok());
    return std::string(engine_.trigger(k_project, {secret, EventType::secret_rotated})
                           .value()
                           .notifications.at(0)
                           .notification_id);
  }
  std::vector<std::string> ids(const Page<NotificationRecord>& page) {
    std::vector<std::string> out;
    for (const auto& r : page.items) out.emplace_back(r.notification_id);
    return out;
  }
  ScopedConnection sink_;
};

TEST_F(records_test, newest_first_with_opaque_markers) {
  std::vector<std::string> sent;
  for (int i = 0; i < 5; ++i) {
    sent.push_back(rotate("s" + std::to_string(i)));
    clock_->advance(1s);
  }
  const std::vector<std::string> newest_first(sent.rbegin(), sent.rend());
  EXPECT_EQ(ids(engine_.list_records(k_project, {}).value()), newest_first);

  const auto first = engine_.list_records(k_project, RecordQuery{.limit = 2}).value();
  EXPECT_EQ(ids(first), (names{sent[4], sent[3]}));
  ASSERT_TRUE(first.page_info.next_marker.has_value());
  EXPECT_EQ(first.page_info.current_count, 2U);
  EXPECT_FALSE(first.page_info.previous_marker.has_value());

  const auto second =
      engine_
          .list_records(k_project, RecordQuery{.limit = 2, .marker = *first.page_info.next_marker})
          .value();
  EXPECT_EQ(ids(second), (names{sent[2], sent[1]}));
  EXPECT_EQ(second.page_info.previous_marker, first.page_info.next_marker);
  const auto third =
      engine_
          .list_records(k_project, RecordQuery{.limit = 2, .marker = *second.page_info.next_marker})
          .value();
  EXPECT_EQ(ids(third), (names{sent[0]}));
  EXPECT_FALSE(third.page_info.next_marker.has_value()) << "the last page";
}

TEST_F(records_test, without_a_limit_the_newest_thousand) {
  for (int i = 0; i < 1001; ++i) (void)rotate("s", "a");
  const auto page = engine_.list_records(k_project, {}).value();
  EXPECT_EQ(page.items.size(), 1000U);
  ASSERT_TRUE(page.page_info.next_marker.has_value());
  EXPECT_EQ(engine_.list_records(k_project, RecordQuery{.marker = *page.page_info.next_marker})
                ->items.size(),
            1U);
}

TEST_F(records_test, filters_by_event_secret_and_status) {
  const auto ok_a = rotate("good-1", "a");
  const auto bad_b = rotate("bad-1", "b");
  const auto ok_b = rotate("good-2", "b");
  EXPECT_EQ(ids(engine_.list_records(k_project, RecordQuery{.event_name = "b"}).value()),
            (names{ok_b, bad_b}));
  EXPECT_EQ(ids(engine_.list_records(k_project, RecordQuery{.secret_name = "good-1"}).value()),
            (names{ok_a}));
  EXPECT_EQ(
      ids(engine_.list_records(k_project, RecordQuery{.status = NotificationStatus::fail}).value()),
      (names{bad_b}));
  EXPECT_EQ(ids(engine_
                    .list_records(k_project, RecordQuery{.event_name = "b",
                                                         .status = NotificationStatus::success})
                    .value()),
            (names{ok_b}));
  const auto failed = engine_.list_records(k_project, RecordQuery{.secret_name = "bad-1"})->items;
  EXPECT_EQ(failed.at(0).failure_reason, "refused");
}

TEST_F(records_test, filtered_pages_continue_after_their_marker) {
  std::vector<std::string> of_b;
  for (int i = 0; i < 4; ++i) {
    (void)rotate("x" + std::to_string(i), "a");
    of_b.push_back(rotate("y" + std::to_string(i), "b"));
  }
  const auto first =
      engine_.list_records(k_project, RecordQuery{.limit = 3, .event_name = "b"}).value();
  EXPECT_EQ(ids(first), (names{of_b[3], of_b[2], of_b[1]}));
  const auto rest = engine_.list_records(
      k_project,
      RecordQuery{.limit = 3, .marker = *first.page_info.next_marker, .event_name = "b"});
  EXPECT_EQ(ids(rest.value()), (names{of_b[0]}));
}

TEST_F(records_test, retention_keeps_records_just_under_ninety_days) {
  EXPECT_EQ(engine_.options().record_retention, std::chrono::milliseconds(std::chrono::days(90)));
  const auto old_id = rotate("old");
  clock_->advance(std::chrono::days(90) - 1ms);
  const auto young_id = rotate("young");
  EXPECT_EQ(ids(engine_.list_records(k_project, {}).value()), (names{young_id, old_id}))
      << "90 days less 1 ms old: kept";
  clock_->advance(1ms);
  EXPECT_EQ(ids(engine_.list_records(k_project, {}).value()), (names{young_id}))
      << "exactly 90 days old: pruned";
  clock_->advance(std::chrono::days(90));
  EXPECT_TRUE(engine_.list_records(k_project, {})->items.empty());
}

TEST_F(records_test, retention_is_configurable) {
  Options options;
  options.record_retention = 1h;
  Engine engine(options, clock_);
  const ScopedConnection sink =
      engine.connect_sink("SMN", callback_sink([](const Notification&) {}));
  ASSERT_TRUE(engine.create_event(k_project, testing::event_spec("a")).ok());
  ASSERT_TRUE(engine.set_subscriptions(k_project, "s", names{"a"}).ok());
  ASSERT_TRUE(engine.trigger(k_project, {"s", EventType::secret_rotated}).ok());
  clock_->advance(59min);
  EXPECT_EQ(engine.list_records(k_project, {})->items.size(), 1U);
  clock_->advance(1min);
  EXPECT_TRUE(engine.list_records(k_project, {})->items.empty());
}

TEST_F(records_test, records_can_be_turned_off) {
  Options options;
  options.keep_records = false;
  Engine engine(options, clock_);
  int delivered = 0;
  const ScopedConnection sink =
      engine.connect_sink("SMN", callback_sink([&](const Notification&) { ++delivered; }));
  ASSERT_TRUE(engine.create_event(k_project, testing::event_spec("a")).ok());
  ASSERT_TRUE(engine.set_subscriptions(k_project, "s", names{"a"}).ok());
  const auto report = engine.trigger(k_project, {"s", EventType::secret_rotated}).value();
  EXPECT_EQ(report.notifications.size(), 1U) << "still delivered and reported";
  EXPECT_EQ(delivered, 1);
  EXPECT_TRUE(engine.list_records(k_project, {})->items.empty());
}

TEST_F(records_test, bad_queries_name_what_is_wrong) {
  (void)rotate("s");
  EXPECT_ERROR(engine_.list_records(k_project, RecordQuery{.limit = 0}), invalid_argument, "limit");
  EXPECT_ERROR(engine_.list_records(k_project, RecordQuery{.limit = 1001}), invalid_argument,
               "limit");
  for (const auto* marker : {"abc", "-1", "0", "1.5", "99999999999999999999999"}) {
    EXPECT_ERROR(engine_.list_records(k_project, RecordQuery{.marker = marker}), invalid_argument,
                 "marker")
        << marker;
  }
  EXPECT_ERROR(engine_.list_records(k_project, RecordQuery{.event_name = "a.b"}), invalid_argument,
               "event_name");
  EXPECT_ERROR(engine_.list_records(k_project, RecordQuery{.secret_name = "a b"}), invalid_argument,
               "secret_name");
  EXPECT_ERROR(
      engine_.list_records(k_project, RecordQuery{.status = static_cast<NotificationStatus>(7)}),
      invalid_argument, "notification_status");
  EXPECT_ERROR(engine_.list_records("", {}), invalid_argument, "project_id");
  EXPECT_EQ(engine_.list_records(k_project, {})->items.size(), 1U) << "nothing lost";
}

TEST(records_bound_test, memory_keeps_the_newest_records_up_to_its_bound_in_all_projects) {
  auto clock = std::make_shared<ManualClock>();
  Engine engine(Options{.max_events_per_project = 30, .max_records_in_memory = 5}, clock);
  const ScopedConnection sink =
      engine.connect_sink("SMN", [](const Notification&) { return SinkOutcome::delivered(); });
  std::vector<std::string> sent;  // (project, id) in trigger order
  for (const auto project : {testing::k_project, testing::k_other_project}) {
    ASSERT_TRUE(engine.create_event(project, testing::event_spec("a")).ok());
    ASSERT_TRUE(engine.set_subscriptions(project, "s", names{"a"}).ok());
  }
  const auto fire = [&](std::string_view project) {
    const auto report = engine.trigger(project, {"s", EventType::secret_rotated});
    sent.push_back(fmt::format("{} {}", project, report->notifications.at(0).notification_id));
  };
  for (int i = 0; i < 4; ++i) fire(testing::k_project);
  for (int i = 0; i < 3; ++i) fire(testing::k_other_project);
  // 7 sent, 5 kept: the two oldest (both of k_project) are gone.
  const auto listed = [&](std::string_view project) {
    std::vector<std::string> out;
    const auto page = engine.list_records(project, {}).value();
    for (const auto& r : page.items)
      out.emplace_back(std::string(project) + " " + r.notification_id);
    return out;
  };
  EXPECT_EQ(listed(testing::k_project), (names{sent[3], sent[2]}));
  EXPECT_EQ(listed(testing::k_other_project), (names{sent[6], sent[5], sent[4]}));
  for (int i = 0; i < 5; ++i) fire(testing::k_other_project);
  EXPECT_TRUE(listed(testing::k_project).empty()) << "the oldest go first, whichever project";
  EXPECT_EQ(listed(testing::k_other_project).size(), 5U) << "exactly the bound";
  EXPECT_EQ(Options{}.max_records_in_memory, 100'000U);
}

TEST_F(records_test, records_of_one_project_are_invisible_to_another) {
  (void)rotate("s");
  EXPECT_TRUE(engine_.list_records(testing::k_other_project, {})->items.empty());
}

}  // namespace
}  // namespace herald
