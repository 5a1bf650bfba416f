// The sink rules of include/herald/sink.hpp, each as a user would notice it.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <thread>

#include "test_support.hpp"

namespace herald {
namespace {

using testing::k_project;
using names = std::vector<std::string>;

class sink_test : public testing::engine_fixture {
 protected:
  sink_test() : engine_fixture(many()) {}
  static Options many() {
    Options options;
    options.max_events_per_secret = 12;
    return options;
  }
  // `count` enabled events e0.. on SECRET_ROTATED with a "TEST" target, all on secret "db".
  void events(int count, std::string target_type = "TEST") {
    names all;
    for (int i = 0; i < count; ++i) {
      auto spec = testing::event_spec("e" + std::to_string(i));
      spec.notification.target_type = target_type;
      ASSERT_TRUE(engine_.create_event(k_project, spec).ok());
      all.push_back(spec.name);
    }
    ASSERT_TRUE(engine_.set_subscriptions(k_project, "db", all).ok());
  }
  TriggerReport rotate(std::string_view secret = "db") {
    return engine_.trigger(k_project, {secret, EventType::secret_rotated}).value();
  }
};

TEST_F(sink_test, every_sink_of_the_target_type_gets_the_same_message) {
  events(1);
  // Views of the message; the record log keeps the notification (and so them) alive.
  std::vector<std::string_view> first, second;
  const ScopedConnection a = engine_.connect_sink(
      "TEST", callback_sink([&](const Notification& n) { first.push_back(n.message()); }));
  const ScopedConnection b = engine_.connect_sink(
      "TEST", callback_sink([&](const Notification& n) { second.push_back(n.message()); }));
  const ScopedConnection other = engine_.connect_sink(
      "OTHER", callback_sink([](const Notification&) { FAIL() << "wrong target type"; }));
  rotate();
  ASSERT_EQ(first.size(), 1U);
  ASSERT_EQ(second.size(), 1U);
  EXPECT_EQ(first[0].data(), second[0].data()) << "rendered once, shared";
  EXPECT_FALSE(first[0].empty());
  const auto content = engine_.list_records(k_project, {})->items.at(0).notification_content;
  ASSERT_NE(content, nullptr);
  EXPECT_EQ(content->data(), first[0].data()) << "the record shares the message sent";
}

TEST_F(sink_test, a_sink_connected_during_a_dispatch_is_not_called_by_it) {
  events(3);
  int late_calls = 0;
  ScopedConnection late;
  const ScopedConnection connector = engine_.connect_sink(
      "TEST", callback_sink([&](const Notification&) {
        if (!late.connection().connected()) {
          late = engine_.connect_sink("TEST",
                                      callback_sink([&](const Notification&) { ++late_calls; }));
        }
      }));
  const auto report = rotate();
  EXPECT_EQ(report.notifications.size(), 3U);
  EXPECT_EQ(late_calls, 0) << "not by the dispatch it was connected in, for none of its 3 messages";
  rotate();
  EXPECT_EQ(late_calls, 3) << "the next dispatch calls it";
}

TEST_F(sink_test, after_disconnect_returns_the_sink_is_never_called_again) {
  events(1);
  int calls = 0;
  Connection connection =
      engine_.connect_sink("TEST", callback_sink([&](const Notification&) { ++calls; }));
  rotate();
  EXPECT_TRUE(connection.connected());
  connection.disconnect();
  EXPECT_FALSE(connection.connected());
  connection.disconnect();  // idempotent
  rotate();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(engine_.list_records(k_project, {})->items.at(0).notification_status,
            NotificationStatus::invalid)
      << "no sink left for the type";
}

TEST_F(sink_test, once_disconnect_returns_what_the_sink_captured_is_released) {
  events(1);
  auto captured = std::make_shared<int>(7);
  const std::weak_ptr<int> watch = captured;
  Connection connection = engine_.connect_sink(
      "TEST", callback_sink([captured = std::move(captured)](const Notification&) {}));
  rotate();  // called on this thread, which now caches the type's sinks
  ASSERT_FALSE(watch.expired());
  connection.disconnect();
  EXPECT_TRUE(watch.expired()) << "released by disconnect, not when some cache lets go";
}

TEST_F(sink_test, a_sink_may_disconnect_itself_during_its_call) {
  events(2);
  int calls = 0;
  Connection self;
  self = engine_.connect_sink("TEST", callback_sink([&](const Notification&) {
                                ++calls;
                                self.disconnect();  // must not wait for its own call
                              }));
  rotate();
  EXPECT_EQ(calls, 1) << "not called again, even for the second message of the same dispatch";
}

TEST_F(sink_test, scoped_connections_disconnect_at_scope_end_and_release_keeps_them) {
  events(1);
  int calls = 0;
  {
    const ScopedConnection scoped =
        engine_.connect_sink("TEST", callback_sink([&](const Notification&) { ++calls; }));
    rotate();
  }
  rotate();
  EXPECT_EQ(calls, 1);
  Connection kept;
  {
    ScopedConnection scoped =
        engine_.connect_sink("TEST", callback_sink([&](const Notification&) { ++calls; }));
    kept = scoped.release();
  }
  rotate();
  EXPECT_EQ(calls, 2);
  kept.disconnect();
}

TEST_F(sink_test, a_sink_may_call_back_into_the_engine) {
  events(1);
  Result<TriggerReport> nested = Error{ErrorCode::internal, "not run"};
  int depth = 0;
  const ScopedConnection sink = engine_.connect_sink(
      "TEST", callback_sink([&](const Notification& n) {
        if (n.secret_name != "db") return;
        ++depth;
        // Writes need the exclusive lock: a held herald lock would deadlock.
        ASSERT_TRUE(engine_.create_event(k_project, testing::event_spec("new")).ok());
        EventPatch patch;
        patch.state = EventState::enabled;
        ASSERT_TRUE(engine_.update_event(k_project, "e0", patch).ok());
        ASSERT_TRUE(engine_.set_subscriptions(k_project, "other", names{"e0"}).ok());
        nested = engine_.trigger(k_project, {"other", EventType::secret_rotated});
      }));
  rotate();
  EXPECT_EQ(depth, 1);
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(nested->notifications.size(), 1U);
  EXPECT_TRUE(engine_.show_event(k_project, "new").ok());
  EXPECT_EQ(engine_.list_records(k_project, {})->items.size(), 2U);
}

TEST_F(sink_test, a_throwing_sink_fails_its_delivery_and_the_others_still_run) {
  events(2);
  int after = 0;
  const ScopedConnection thrower = engine_.connect_sink(
      "TEST", [](const Notification&) -> SinkOutcome { throw std::runtime_error("broker down"); });
  const ScopedConnection counter =
      engine_.connect_sink("TEST", callback_sink([&](const Notification&) { ++after; }));
  const auto report = rotate();
  EXPECT_EQ(after, 2) << "the other sink ran for both messages";
  ASSERT_EQ(report.notifications.size(), 2U);
  for (const auto& delivery : report.notifications) {
    EXPECT_EQ(delivery.notification_status, NotificationStatus::fail);
    EXPECT_NE(delivery.failure_reason.find("broker down"), std::string::npos);
  }
  const auto throws_anything =
      engine_.connect_sink("TEST", [](const Notification&) -> SinkOutcome { throw 42; });
  EXPECT_EQ(rotate().notifications[0].notification_status, NotificationStatus::fail);
  throws_anything.disconnect();
}

TEST_F(sink_test, outcomes_combine_invalid_over_fail_over_success) {
  events(1);
  struct Row {
    std::vector<SinkStatus> outcomes;
    NotificationStatus expected;
  };
  const std::vector<Row> table = {
      {{SinkStatus::delivered}, NotificationStatus::success},
      {{SinkStatus::delivered, SinkStatus::delivered}, NotificationStatus::success},
      {{SinkStatus::delivered, SinkStatus::failed}, NotificationStatus::fail},
      {{SinkStatus::failed, SinkStatus::invalid_target}, NotificationStatus::invalid},
      {{SinkStatus::invalid_target, SinkStatus::delivered}, NotificationStatus::invalid},
  };
  for (const auto& row : table) {
    std::vector<ScopedConnection> sinks;
    for (const auto status : row.outcomes) {
      sinks.emplace_back(engine_.connect_sink("TEST", [status](const Notification&) {
        return SinkOutcome{status, status == SinkStatus::delivered ? "" : "because"};
      }));
    }
    const auto report = rotate();
    EXPECT_EQ(report.notifications.at(0).notification_status, row.expected);
    EXPECT_EQ(report.notifications.at(0).failure_reason,
              row.expected == NotificationStatus::success ? "" : "because");
  }
}

TEST_F(sink_test, disconnect_waits_for_a_call_in_flight_on_another_thread) {
  events(1);
  std::mutex mutex;
  std::condition_variable changed;
  bool inside = false, disconnect_started = false, disconnect_returned = false;
  bool returned_while_inside = false;

  Connection connection = engine_.connect_sink(
      "TEST", callback_sink([&](const Notification&) {
        std::unique_lock lock(mutex);
        inside = true;
        changed.notify_all();
        changed.wait(lock, [&] { return disconnect_started; });
        // A disconnect() that did not wait would return now; give it the chance, bounded.
        changed.wait_for(lock, std::chrono::milliseconds(100), [&] { return disconnect_returned; });
        returned_while_inside = disconnect_returned;
      }));

  std::thread dispatcher([&] { rotate(); });
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return inside; });
  }
  std::thread disconnector([&] {
    {
      std::lock_guard lock(mutex);
      disconnect_started = true;
    }
    changed.notify_all();
    connection.disconnect();
    std::lock_guard lock(mutex);
    disconnect_returned = true;
    changed.notify_all();
  });
  dispatcher.join();
  disconnector.join();
  EXPECT_FALSE(returned_while_inside) << "disconnect() returned while the sink was running";
  EXPECT_TRUE(disconnect_returned);
}

TEST(json_lines_sink_test, writes_one_flushed_line_per_message) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("herald-json-lines-" + std::to_string(::getpid()) + ".jsonl");
  std::filesystem::remove(path);
  Options options;
  Engine engine(options, std::make_shared<ManualClock>());
  auto sink = json_lines_file_sink(path);
  ASSERT_TRUE(sink.ok()) << sink.error().message();
  const ScopedConnection connection = engine.connect_sink("FILE", std::move(sink).value());
  auto spec = testing::event_spec("to-file");
  spec.notification.target_type = "FILE";
  ASSERT_TRUE(engine.create_event(k_project, spec).ok());
  ASSERT_TRUE(engine.set_subscriptions(k_project, "db", names{"to-file"}).ok());

  const auto read_lines = [&] {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  };
  for (int i = 1; i <= 3; ++i) {
    const auto report = engine.trigger(k_project, {"db", EventType::secret_rotated}).value();
    const auto lines = read_lines();  // read while the sink's file is still open: flushed
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(i));
    EXPECT_NE(lines.back().find(report.notifications.at(0).notification_id), std::string::npos);
    EXPECT_EQ(lines.back(), *engine.list_records(k_project, {})->items.at(0).notification_content);
  }
  std::filesystem::remove(path);
}

TEST(json_lines_sink_test, a_file_that_cannot_be_opened_is_a_clear_error) {
  const auto missing_dir =
      std::filesystem::temp_directory_path() / "herald-no-such-dir" / "x.jsonl";
  const auto sink = json_lines_file_sink(missing_dir);
  EXPECT_ERROR(sink, unavailable, missing_dir.string());
  EXPECT_NE(sink.error().message().find("No such file"), std::string::npos)
      << sink.error().message();
}

}  // namespace
}  // namespace herald
