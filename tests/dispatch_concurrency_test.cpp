// Dispatch under concurrent use (run under the tsan preset).
//
// Two threads trigger while a third changes events, subscriptions and sink connections, for a
// bounded number of operations. Afterwards every record must agree with what was reported and
// delivered, and a final trigger must match exactly what the final registry says.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "test_support.hpp"

namespace herald {
namespace {

using testing::k_project;
using names = std::vector<std::string>;

constexpr int k_triggers_per_thread = 1500;
constexpr int k_changes = 1500;
constexpr int k_events = 4;
constexpr int k_secrets = 6;

std::string event_name(std::uint64_t i) { return "event-" + std::to_string(i % k_events); }
std::string secret_name(std::uint64_t i) { return "secret-" + std::to_string(i % k_secrets); }

// Remembers every notification a sink was handed, by id.
struct DeliveryLog {
  std::mutex mutex;
  std::map<std::string, std::string> payload_by_id;
  void add(const Notification& n) {
    std::lock_guard lock(mutex);
    EXPECT_TRUE(payload_by_id.emplace(n.notification_id, n.message()).second)
        << "a notification delivered twice to one sink";
  }
};

TEST(dispatch_concurrency_test, triggers_while_events_subscriptions_and_sinks_change) {
  Options options;
  options.max_events_per_secret = k_events;
  Engine engine(options, std::make_shared<ManualClock>());
  DeliveryLog steady;  // connected throughout: sees every SUCCESS
  const ScopedConnection steady_connection =
      engine.connect_sink("SMN", callback_sink([&](const Notification& n) { steady.add(n); }));
  for (int i = 0; i < k_events; ++i) {
    auto spec = testing::event_spec(event_name(i));
    spec.event_types = {EventType::secret_rotated, EventType::secret_version_created};
    ASSERT_TRUE(engine.create_event(k_project, spec).ok());
  }
  // Every secret starts subscribed to every event, so that triggers match from the first one
  // whatever the threads' timing.
  names all_events;
  for (int i = 0; i < k_events; ++i) all_events.push_back(event_name(i));
  for (int s = 0; s < k_secrets; ++s) {
    ASSERT_TRUE(engine.set_subscriptions(k_project, secret_name(s), all_events).ok());
  }

  std::mutex reports_mutex;
  std::vector<DeliveryReport> reported;
  const auto trigger_loop = [&](unsigned seed) {
    std::mt19937_64 rng(seed);
    std::vector<DeliveryReport> mine;
    for (int i = 0; i < k_triggers_per_thread; ++i) {
      const auto type = rng() % 2 ? EventType::secret_rotated : EventType::secret_version_created;
      const auto secret = secret_name(rng());
      auto report = engine.trigger(k_project, {secret, type});
      ASSERT_TRUE(report.ok());
      for (auto& d : report->notifications) mine.push_back(std::move(d));
    }
    std::lock_guard lock(reports_mutex);
    reported.insert(reported.end(), mine.begin(), mine.end());
  };

  std::atomic<int> flaky_calls_after_disconnect{0};
  const auto changer = [&] {
    std::mt19937_64 rng(7);
    Connection flaky;
    std::atomic<bool> flaky_disconnected{true};
    for (int i = 0; i < k_changes; ++i) {
      switch (rng() % 5) {
        case 0: {
          EventPatch patch;
          patch.state = rng() % 2 ? EventState::enabled : EventState::disabled;
          ASSERT_TRUE(engine.update_event(k_project, event_name(rng()), patch).ok());
          break;
        }
        case 1: {
          EventPatch patch;
          patch.event_types =
              rng() % 2 ? std::vector{EventType::secret_rotated}
                        : std::vector{EventType::secret_rotated, EventType::secret_version_created};
          ASSERT_TRUE(engine.update_event(k_project, event_name(rng()), patch).ok());
          break;
        }
        case 2: {
          names subscriptions;
          for (int e = 0; e < k_events; ++e) {
            if (rng() % 2) subscriptions.push_back(event_name(e));
          }
          ASSERT_TRUE(engine.set_subscriptions(k_project, secret_name(rng()), subscriptions).ok());
          break;
        }
        case 3:
          if (flaky_disconnected) {
            flaky_disconnected = false;
            flaky = engine.connect_sink("SMN", [&](const Notification&) {
              if (flaky_disconnected.load()) ++flaky_calls_after_disconnect;
              return SinkOutcome::delivered();
            });
          }
          break;
        default:
          flaky.disconnect();
          flaky_disconnected = true;  // set only after disconnect() returned
          break;
      }
    }
    flaky.disconnect();
    flaky_disconnected = true;
  };

  std::thread t1(trigger_loop, 1U), t2(trigger_loop, 2U), t3(changer);
  t1.join();
  t2.join();
  t3.join();

  EXPECT_EQ(flaky_calls_after_disconnect.load(), 0)
      << "a sink was called after its disconnect() returned";

  // Every reported notification has exactly one record, with the same status, and every one
  // was handed to the steady sink with the message the record keeps.
  std::map<std::string, NotificationRecord> record_by_id;
  std::string marker;
  do {
    const auto page = engine.list_records(k_project, RecordQuery{.marker = marker}).value();
    for (const auto& r : page.items) {
      EXPECT_TRUE(record_by_id.emplace(r.notification_id, r).second) << "a record twice";
    }
    marker = page.page_info.next_marker.value_or("");
  } while (!marker.empty());
  ASSERT_EQ(record_by_id.size(), reported.size());
  ASSERT_GT(reported.size(), 100U) << "the test should dispatch a good deal";
  for (const auto& d : reported) {
    const auto record = record_by_id.find(std::string(d.notification_id));
    ASSERT_NE(record, record_by_id.end());
    EXPECT_EQ(record->second.notification_status, NotificationStatus::success);
    EXPECT_EQ(record->second.event_name, d.event_name);
    const auto delivered = steady.payload_by_id.find(std::string(d.notification_id));
    ASSERT_NE(delivered, steady.payload_by_id.end());
    EXPECT_EQ(delivered->second, *record->second.notification_content);
    const auto message = boost::json::parse(delivered->second).as_object();
    EXPECT_EQ(message.at("event_name").as_string(), record->second.event_name);
    EXPECT_EQ(message.at("secret_name").as_string(), record->second.secret_name);
    EXPECT_EQ(message.at("trigger_event_type").as_string(),
              to_string(record->second.trigger_event_type));
  }
  EXPECT_EQ(steady.payload_by_id.size(), reported.size());

  // The routes agree with the final registry.
  for (int s = 0; s < k_secrets; ++s) {
    for (const auto type : {EventType::secret_rotated, EventType::secret_version_created}) {
      std::vector<std::string> expected;
      if (const auto secret = engine.show_secret(k_project, secret_name(s)); secret.ok()) {
        for (const auto& name : secret->event_subscriptions) {
          const auto event = engine.show_event(k_project, name).value();
          const bool lists = std::ranges::find(event.event_types, type) != event.event_types.end();
          if (event.state == EventState::enabled && lists) expected.push_back(name);
        }
      }
      std::vector<std::string> matched;
      const auto report = engine.trigger(k_project, {secret_name(s), type}).value();
      for (const auto& d : report.notifications) {
        matched.emplace_back(d.event_name);
      }
      EXPECT_EQ(matched, expected) << secret_name(s) << " " << to_string(type);
    }
  }
}

// Records appended by two threads (two shards of the log) while a third pages through them:
// no page repeats a record, and once the triggers are done paging lists each exactly once.
TEST(records_concurrency_test, paging_while_two_threads_append_lists_each_record_once) {
  Engine engine;
  const ScopedConnection sink =
      engine.connect_sink("SMN", [](const Notification&) { return SinkOutcome::delivered(); });
  ASSERT_TRUE(engine.create_event(k_project, testing::event_spec("e")).ok());
  ASSERT_TRUE(engine.set_subscriptions(k_project, "a", names{"e"}).ok());
  ASSERT_TRUE(engine.set_subscriptions(k_project, "b", names{"e"}).ok());
  const auto page_through = [&] {
    std::vector<std::string> ids;
    RecordQuery query{.limit = 97};
    for (int pages = 0; pages < 1000; ++pages) {
      const auto page = engine.list_records(k_project, query).value();
      for (const auto& r : page.items) ids.emplace_back(r.notification_id);
      if (!page.page_info.next_marker) break;
      query.marker = *page.page_info.next_marker;
    }
    return ids;
  };
  std::atomic<bool> done{false};
  std::thread lister([&] {
    while (!done.load()) {
      const auto ids = page_through();
      EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size())
          << "a record listed twice in one paging";
    }
  });
  std::set<std::string> sent;
  std::mutex sent_mutex;
  const auto fire = [&](const char* secret) {
    for (int i = 0; i < 1000; ++i) {
      const auto report = engine.trigger(k_project, {secret, EventType::secret_rotated});
      std::lock_guard lock(sent_mutex);
      sent.emplace(report->notifications.at(0).notification_id);
    }
  };
  std::thread first(fire, "a"), second(fire, "b");
  first.join();
  second.join();
  done = true;
  lister.join();
  const auto ids = page_through();
  EXPECT_EQ(ids.size(), 2000U);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), sent);
}

}  // namespace
}  // namespace herald
