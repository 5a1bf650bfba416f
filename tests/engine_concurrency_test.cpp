// The Engine under concurrent use (run under the tsan preset): two threads create, update,
// delete, subscribe and read for a bounded number of operations; afterwards the registry must be
// consistent: every subscription names an existing event, and the two views of subscriptions
// (per secret, per event) agree.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "test_support.hpp"

namespace herald {
namespace {

using testing::event_spec;
using testing::k_project;

constexpr int k_operations = 4000;
constexpr int k_event_names = 8;
constexpr int k_secret_names = 16;

std::string event_name(std::uint64_t i) { return "event-" + std::to_string(i % k_event_names); }
std::string secret_name(std::uint64_t i) { return "secret." + std::to_string(i % k_secret_names); }

void writer(Engine& engine, unsigned seed) {
  std::mt19937 rng(seed);
  for (int i = 0; i < k_operations; ++i) {
    const std::uint64_t pick = rng();
    const auto name = event_name(rng());
    switch (pick % 4) {
      case 0: (void)engine.create_event(k_project, event_spec(name)); break;
      case 1: {
        EventPatch patch;
        patch.state = (pick & 16) != 0 ? EventState::enabled : EventState::disabled;
        (void)engine.update_event(k_project, name, patch);
        break;
      }
      case 2: (void)engine.delete_event(k_project, name); break;
      default: (void)engine.show_event(k_project, name); break;
    }
  }
}

void subscriber(Engine& engine, unsigned seed) {
  std::mt19937 rng(seed);
  for (int i = 0; i < k_operations; ++i) {
    const std::uint64_t pick = rng();
    const auto secret = secret_name(rng());
    switch (pick % 4) {
      case 0: {
        const std::vector<std::string> names = {event_name(rng()), event_name(rng() + 1)};
        (void)engine.set_subscriptions(k_project, secret, names);
        break;
      }
      case 1: (void)engine.set_subscriptions(k_project, secret, std::vector<std::string>{}); break;
      case 2: (void)engine.list_secrets(k_project, event_name(rng()), PageQuery{.limit = 5}); break;
      default: (void)engine.list_events(k_project, PageQuery{.limit = 3}); break;
    }
  }
}

TEST(engine_concurrency_test, concurrent_writers_and_readers_leave_a_consistent_registry) {
  Options options;
  options.max_events_per_secret = 2;
  Engine engine(options, std::make_shared<ManualClock>());

  std::thread a(writer, std::ref(engine), 1U);
  std::thread b(subscriber, std::ref(engine), 2U);
  std::thread c(writer, std::ref(engine), 3U);
  a.join();
  b.join();
  c.join();

  const auto events = engine.list_events(k_project, PageQuery{.limit = 1000}).value();
  std::set<std::string> event_names;
  for (const auto& event : events.items) {
    event_names.insert(event.name);
    EXPECT_EQ(engine.show_event(k_project, event.name).value(), event);
  }

  // secret → events, from both directions.
  std::map<std::string, std::set<std::string>> by_secret;
  std::map<std::string, std::set<std::string>> by_event;
  const auto secrets = engine.list_secrets(k_project, "", PageQuery{.limit = 1000}).value();
  for (const auto& secret : secrets.items) {
    EXPECT_LE(secret.event_subscriptions.size(), 2U);
    for (const auto& name : secret.event_subscriptions) {
      EXPECT_TRUE(event_names.contains(name)) << secret.name << " subscribes to deleted " << name;
      by_secret[secret.name].insert(name);
    }
  }
  for (const auto& name : event_names) {
    const auto subscribers = engine.list_secrets(k_project, name, PageQuery{.limit = 1000}).value();
    for (const auto& secret : subscribers.items) by_event[secret.name].insert(name);
    const auto deleted = engine.delete_event(k_project, name);
    EXPECT_EQ(deleted.ok(), subscribers.items.empty())
        << name << ": an event may be deleted exactly when no secret subscribes";
  }
  EXPECT_EQ(by_secret, by_event);
}

}  // namespace
}  // namespace herald
