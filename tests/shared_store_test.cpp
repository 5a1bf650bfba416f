// Several engines on one PostgreSQL database, as several herald processes share it (contract
// §8): each engine has its own store (its own connections, lease and process id), so to the
// database they are separate processes. Changes reach the others within a second, the rules are
// decided in the database however the writers race, a timer fires once, and the deliveries of
// a process that ended are taken over.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "herald/herald.hpp"
#include "herald/store.hpp"
#include "postgres_support.hpp"
#include "sinks/smn_signing.hpp"
#include "test_support.hpp"

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::event_spec;
using testing::k_project;
using names = std::vector<std::string>;

class shared_store_test : public ::testing::Test {
 protected:
  // An engine as one process of several: a store of its own on the shared database.
  std::unique_ptr<Engine> open_engine(Options options = {},
                                      PostgresStoreOptions store_options = {}) {
    if (options.delivery == DeliveryMode::automatic) options.delivery = DeliveryMode::synchronous;
    auto store = open_postgres_store(database_.conninfo(), store_options);
    EXPECT_TRUE(store.ok()) << store.error().message();
    if (!store) return nullptr;
    auto engine = Engine::open(*store, options, system_clock());
    EXPECT_TRUE(engine.ok()) << engine.error().message();
    return engine ? std::move(engine).value() : nullptr;
  }

  // Polls `done` until it holds or `limit` passes; answers whether it held. Other processes'
  // changes come on their own time: there is no event of this process to wait on.
  template <typename Done>
  static bool within(std::chrono::milliseconds limit, Done done) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  testing::PostgresDatabase database_;
};

TEST_F(shared_store_test, a_change_through_one_engine_is_read_updated_and_deleted_through_another) {
  auto a = open_engine();
  auto b = open_engine();
  ASSERT_TRUE(a && b);
  const auto created = a->create_event(k_project, event_spec("shared"));
  ASSERT_TRUE(created.ok()) << created.error().message();
  EXPECT_TRUE(a->show_event(k_project, "shared").ok()) << "its own change at once";
  ASSERT_TRUE(within(1s, [&] { return b->show_event(k_project, "shared").ok(); }))
      << "the other engine sees it within a second";
  EXPECT_EQ(b->show_event(k_project, "shared").value(), created.value()) << "id and times too";

  EventPatch patch;
  patch.state = EventState::disabled;
  const auto updated = b->update_event(k_project, "shared", patch);
  ASSERT_TRUE(updated.ok()) << updated.error().message();
  ASSERT_TRUE(within(
      1s, [&] { return a->show_event(k_project, "shared")->state == EventState::disabled; }));
  ASSERT_TRUE(b->set_subscriptions(k_project, "db.password", names{"shared"}).ok());
  ASSERT_TRUE(within(1s, [&] { return a->show_secret(k_project, "db.password").ok(); }));
  EXPECT_ERROR(a->delete_event(k_project, "shared"), in_use, "1 secret")
      << "decided on the subscription made through the other engine";
  ASSERT_TRUE(a->set_subscriptions(k_project, "db.password", names{}).ok());
  ASSERT_TRUE(b->delete_event(k_project, "shared").ok())
      << "b decides on a's change even before it has followed it";
  ASSERT_TRUE(within(1s, [&] { return !a->show_event(k_project, "shared").ok(); }));
  EXPECT_ERROR(a->show_event(k_project, "shared"), not_found, "shared");
}

TEST_F(shared_store_test, engines_racing_to_create_one_name_end_with_exactly_one_success) {
  const Options options{.max_events_per_project = 200};
  auto a = open_engine(options);
  auto b = open_engine(options);
  ASSERT_TRUE(a && b);
  for (int round = 0; round < 100; ++round) {
    const std::string name = testing::numbered_name(round);
    std::barrier start(2);
    Result<Event> first = Error{ErrorCode::internal, {}};
    Result<Event> second = Error{ErrorCode::internal, {}};
    std::thread racer([&] {
      start.arrive_and_wait();
      first = a->create_event(k_project, event_spec(name));
    });
    start.arrive_and_wait();
    second = b->create_event(k_project, event_spec(name));
    racer.join();
    ASSERT_NE(first.ok(), second.ok()) << "round " << round << ": exactly one creates it; "
                                       << (first.ok() ? "" : first.error().message()) << " / "
                                       << (second.ok() ? "" : second.error().message());
    const auto& lost = first.ok() ? second : first;
    EXPECT_EQ(lost.error().code(), ErrorCode::already_exists) << lost.error().message();
    const auto& won = first.ok() ? first : second;
    EXPECT_EQ(a->show_event(k_project, name)->event_id, won->event_id) << "round " << round;
    EXPECT_EQ(b->show_event(k_project, name)->event_id, won->event_id) << "round " << round;
  }
}

TEST_F(shared_store_test, a_project_quota_is_never_exceeded_by_racing_creates) {
  constexpr std::size_t k_quota = 5;
  const Options options{.max_events_per_project = k_quota};
  std::vector<std::unique_ptr<Engine>> engines;
  for (int i = 0; i < 3; ++i) engines.push_back(open_engine(options));
  for (const auto& engine : engines) ASSERT_NE(engine, nullptr);
  std::atomic<int> created{0}, refused{0};
  std::barrier start(12);
  std::vector<std::thread> racers;
  for (int i = 0; i < 12; ++i) {
    racers.emplace_back([&, i] {
      start.arrive_and_wait();
      const auto r = engines[i % 3]->create_event(k_project, event_spec(testing::numbered_name(i)));
      if (r) {
        ++created;
      } else {
        EXPECT_EQ(r.error().code(), ErrorCode::quota_exceeded) << r.error().message();
        ++refused;
      }
    });
  }
  for (auto& racer : racers) racer.join();
  EXPECT_EQ(created.load(), static_cast<int>(k_quota));
  EXPECT_EQ(refused.load(), 12 - static_cast<int>(k_quota));
  for (const auto& engine : engines) {
    ASSERT_TRUE(within(1s, [&] {
      return engine->list_events(k_project, {.limit = 50})->items.size() == k_quota;
    }));
  }
}

TEST_F(shared_store_test, a_subscription_racing_the_deletion_of_its_event_one_of_them_wins) {
  const Options options{.max_events_per_project = 200, .max_secrets_per_project = 200};
  auto a = open_engine(options);
  auto b = open_engine(options);
  ASSERT_TRUE(a && b);
  for (int round = 0; round < 50; ++round) {
    const std::string name = testing::numbered_name(round);
    ASSERT_TRUE(a->create_event(k_project, event_spec(name)).ok());
    std::barrier start(2);
    Result<Secret> subscribed = Error{ErrorCode::internal, {}};
    Result<void> deleted;
    std::thread racer([&] {
      start.arrive_and_wait();
      subscribed = a->set_subscriptions(k_project, "secret-" + name, names{name});
    });
    start.arrive_and_wait();
    deleted = b->delete_event(k_project, name);
    racer.join();
    ASSERT_NE(subscribed.ok(), deleted.ok())
        << "round " << round << ": exactly one wins; "
        << (subscribed.ok() ? "" : subscribed.error().message()) << " / "
        << (deleted.ok() ? "" : deleted.error().message());
    if (subscribed) {
      EXPECT_EQ(deleted.error().code(), ErrorCode::in_use) << deleted.error().message();
    } else {
      EXPECT_EQ(subscribed.error().code(), ErrorCode::not_found) << subscribed.error().message();
    }
  }
}

TEST_F(shared_store_test, an_expiry_timer_armed_through_one_engine_fires_once_across_three) {
  std::vector<std::unique_ptr<Engine>> engines;
  for (int i = 0; i < 3; ++i) engines.push_back(open_engine());
  for (const auto& engine : engines) ASSERT_NE(engine, nullptr);
  std::mutex fired_mutex;
  std::vector<std::string> fired;
  std::vector<ScopedConnection> sinks;
  for (const auto& engine : engines) {
    sinks.emplace_back(engine->connect_sink("SMN", callback_sink([&](const Notification& n) {
                                              std::lock_guard lock(fired_mutex);
                                              fired.emplace_back(n.notification_id);
                                            })));
  }
  auto spec = event_spec("expiry");
  spec.event_types = {EventType::secret_version_expired};
  ASSERT_TRUE(engines[0]->create_event(k_project, spec).ok());
  ASSERT_TRUE(engines[0]->set_subscriptions(k_project, "db.password", names{"expiry"}).ok());
  const auto due = system_clock()->now() + 1500ms;
  ASSERT_TRUE(engines[0]->set_version_expiry(k_project, "db.password", "v1", due).ok());
  for (const auto& engine : engines) {
    ASSERT_TRUE(within(1s, [&] {
      return engine->show_version_expiry(k_project, "db.password", "v1")->expire_time == due;
    })) << "every engine has armed it";
  }
  // All three run their timers as their schedulers would, until well after it fell due.
  const auto until = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < until) {
    for (const auto& engine : engines) (void)engine->run_due();
    std::this_thread::sleep_for(10ms);
  }
  std::lock_guard lock(fired_mutex);
  EXPECT_EQ(fired.size(), 1U) << "fired once, by one of them";
  for (const auto& engine : engines) {
    EXPECT_FALSE(engine->show_version_expiry(k_project, "db.password", "v1")->expire_time)
        << "disarmed everywhere";
  }
}

TEST_F(shared_store_test, the_outbox_of_a_process_that_ended_is_delivered_by_another) {
  Options options;
  options.delivery = DeliveryMode::asynchronous;
  auto survivor = open_engine(options);
  ASSERT_NE(survivor, nullptr);
  std::mutex delivered_mutex;
  std::set<std::string> delivered;
  const ScopedConnection sink =
      survivor->connect_sink("SMN", callback_sink([&](const Notification& n) {
                               std::lock_guard lock(delivered_mutex);
                               delivered.emplace(n.notification_id);
                             }));
  (void)survivor->deliver_pending();
  // Another process records a trigger's delivery (the outbox) and ends before making it.
  const std::string id = "0190f3a1-7b2c-7d4e-8f00-000000000001";
  {
    auto ended = open_postgres_store(database_.conninfo());
    ASSERT_TRUE(ended.ok()) << ended.error().message();
    const auto spec = testing::seed_event_spec();
    const auto notification = make_notification(
        NotificationFields{.notification_id = id,
                           .project_id = k_project,
                           .event_name = spec.name,
                           .event_id = "5f9b2c1e-0000-4000-8000-000000000001",
                           .secret_name = "db.password",
                           .trigger_time = system_clock()->now(),
                           .target = {spec.notification.target_type, spec.notification.target_id,
                                      spec.notification.target_name}});
    const Notification* batch[] = {notification.get()};
    ASSERT_TRUE((*ended)->begin_deliveries(batch, TimePoint{}).ok());
  }
  ASSERT_TRUE(within(5s, [&] {
    std::lock_guard lock(delivered_mutex);
    return delivered.contains(id);
  })) << "taken over and delivered";
  ASSERT_TRUE(within(2s, [&] {
    const auto page = survivor->list_records(k_project, {.limit = 10});
    return page && page->items.size() == 1 &&
           page->items[0].notification_status == NotificationStatus::success;
  })) << "and its record final";
}

TEST_F(shared_store_test, lost_connections_are_made_again_and_changes_still_reach_the_others) {
  auto a = open_engine();
  auto b = open_engine();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->create_event(k_project, event_spec("before")).ok());
  ASSERT_TRUE(within(1s, [&] { return b->show_event(k_project, "before").ok(); }));
  // Every connection of both engines is cut, as a database restart or a network cut would.
  ASSERT_TRUE(database_.sql(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'herald'"
      " AND datname = current_database()"));
  EXPECT_TRUE(b->show_event(k_project, "before").ok()) << "reads are served from memory";
  const auto created = a->create_event(k_project, event_spec("after"));
  ASSERT_TRUE(created.ok()) << "a write on a new connection: " << created.error().message();
  ASSERT_TRUE(within(3s, [&] { return b->show_event(k_project, "after").ok(); }))
      << "the other engine follows again";
  EXPECT_TRUE(a->trigger(k_project, {"db.password", EventType::secret_rotated}).ok());
}

TEST_F(shared_store_test, the_topic_quota_holds_under_racing_creates_through_two_processes) {
  std::vector<std::shared_ptr<SmnTopics>> topics;
  for (int i = 0; i < 2; ++i) {
    auto store = open_postgres_store(database_.conninfo());
    ASSERT_TRUE(store.ok()) << store.error().message();
    auto opened = SmnTopics::open("region-1", *store, SmnOptions{.max_topics_per_project = 3});
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    topics.push_back(std::move(opened).value());
  }
  std::barrier start(8);
  std::atomic<int> created{0}, refused{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < 8; ++i) {
    racers.emplace_back([&, i] {
      start.arrive_and_wait();
      // Two racers per name: one topic each, whoever creates it.
      const auto r = topics[i % 2]->create_topic(k_project, "topic-" + std::to_string(i / 2), "");
      if (r && r->created) ++created;
      if (!r) {
        EXPECT_EQ(r.error().code(), ErrorCode::quota_exceeded) << r.error().message();
        ++refused;
      }
    });
  }
  for (auto& racer : racers) racer.join();
  EXPECT_EQ(created.load(), 3) << "three topics, each made once";
  EXPECT_EQ(refused.load(), 2) << "the fourth name's two racers";
}

TEST_F(shared_store_test, processes_that_start_pushing_at_once_sign_with_one_key) {
  std::vector<std::shared_ptr<SmnTopics>> topics;
  for (int i = 0; i < 3; ++i) {
    auto store = open_postgres_store(database_.conninfo());
    ASSERT_TRUE(store.ok()) << store.error().message();
    auto opened = SmnTopics::open("region-1", *store);
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    topics.push_back(std::move(opened).value());
  }
  std::barrier start(3);
  std::vector<std::thread> starters;
  for (auto& t : topics) {
    starters.emplace_back([&start, &t] {
      start.arrive_and_wait();
      EXPECT_TRUE(t->start_pushing({}).ok());
    });
  }
  for (auto& starter : starters) starter.join();
  // The key the database kept: every process serves its certificate, so each signs with it.
  PGconn* conn = PQconnectdb(database_.conninfo().c_str());
  PGresult* row = PQexec(conn, "SELECT value FROM herald_settings WHERE name = 'smn.signing_key'");
  ASSERT_EQ(PQntuples(row), 1);
  const auto key = detail::SigningKey::from_pem(PQgetvalue(row, 0, 0));
  PQclear(row);
  PQfinish(conn);
  ASSERT_TRUE(key.ok());
  for (const auto& t : topics) EXPECT_TRUE(t->signing_certificate(key->key_id()).ok());
}

TEST_F(shared_store_test, processes_opening_an_empty_database_at_once_all_get_one_schema) {
  std::barrier start(4);
  std::vector<std::thread> openers;
  std::atomic<int> opened{0};
  for (int i = 0; i < 4; ++i) {
    openers.emplace_back([&] {
      start.arrive_and_wait();
      const auto store = open_postgres_store(database_.conninfo());
      EXPECT_TRUE(store.ok()) << store.error().message();
      if (store) ++opened;
    });
  }
  for (auto& opener : openers) opener.join();
  EXPECT_EQ(opened.load(), 4);
  ASSERT_TRUE(database_.sql(
      "DO $$ BEGIN IF (SELECT count(*) FROM herald_schema) <> 1 OR (SELECT "
      "version FROM herald_schema) <> " +
      std::to_string(k_postgres_schema_version) + " THEN RAISE 'schema'; END IF; END $$"))
      << "one schema row, at the current version";
}

TEST_F(shared_store_test, a_delivery_finished_by_two_processes_keeps_the_first_final_status) {
  auto first = open_postgres_store(database_.conninfo());
  auto second = open_postgres_store(database_.conninfo());
  ASSERT_TRUE(first.ok() && second.ok());
  const std::string id = "0190f3a1-7b2c-7d4e-8f00-000000000002";
  const auto spec = testing::seed_event_spec();
  const auto notification = make_notification(
      NotificationFields{.notification_id = id,
                         .project_id = k_project,
                         .event_name = spec.name,
                         .event_id = "5f9b2c1e-0000-4000-8000-000000000002",
                         .secret_name = "db.password",
                         .trigger_time = system_clock()->now(),
                         .target = {spec.notification.target_type, spec.notification.target_id,
                                    spec.notification.target_name}});
  const Notification* batch[] = {notification.get()};
  ASSERT_TRUE((*first)->begin_deliveries(batch, TimePoint{}).ok());
  ASSERT_TRUE((*second)->begin_deliveries(batch, TimePoint{}).ok())
      << "recorded again (a delivery made again): still one record";
  // One process thought dead, and the one that took its delivery over, both finish it.
  ASSERT_TRUE((*first)->finish_delivery(id, NotificationStatus::fail, "timeout").ok());
  ASSERT_TRUE((*second)->finish_delivery(id, NotificationStatus::success, "").ok());
  for (const auto& store : {*first, *second}) {
    const auto page = store->list_records(k_project, {.limit = 10}, TimePoint{});
    ASSERT_TRUE(page.ok()) << page.error().message();
    ASSERT_EQ(page->items.size(), 1U) << "one record per notification_id";
    EXPECT_EQ(page->items[0].notification_status, NotificationStatus::fail) << "the first stays";
    EXPECT_EQ(page->items[0].failure_reason, "timeout");
  }
}

TEST_F(shared_store_test, the_uri_form_opens_the_same_database_and_a_newer_schema_is_refused) {
  auto first = open_postgres_store(database_.conninfo());
  auto second = open_postgres_store(database_.uri());
  ASSERT_TRUE(first.ok()) << first.error().message();
  ASSERT_TRUE(second.ok()) << "the URI form, on the same database: " << second.error().message();
  ASSERT_TRUE(database_.sql("UPDATE herald_schema SET version = " +
                            std::to_string(k_postgres_schema_version + 1)));
  const auto newer = open_postgres_store(database_.conninfo());
  EXPECT_ERROR(newer, unavailable, "newer herald");
}

TEST(postgres_store_test, a_malformed_or_unreachable_database_is_named_without_its_password) {
  EXPECT_TRUE(is_postgres_conninfo("postgresql://u@h/db"));
  EXPECT_TRUE(is_postgres_conninfo("postgres://u@h/db"));
  EXPECT_TRUE(is_postgres_conninfo("host=/tmp dbname=herald"));
  EXPECT_FALSE(is_postgres_conninfo("/var/lib/herald/herald.db"));
  EXPECT_FALSE(is_postgres_conninfo("./odd=name.db")) << "a file name with '=' is a file";
  EXPECT_ERROR(open_postgres_store("host='/tmp dbname=herald"), unavailable, "PostgreSQL");
  EXPECT_ERROR(
      open_postgres_store("host=/tmp dbname=herald", {.lease = std::chrono::milliseconds(50)}),
      invalid_argument, "lease");
  const auto unreachable = open_postgres_store(
      "postgresql://herald:hunter2-secret@127.0.0.1:1/herald?connect_timeout=2");
  EXPECT_ERROR(unreachable, unavailable, "cannot connect");
  EXPECT_EQ(unreachable.error().message().find("hunter2-secret"), std::string::npos)
      << unreachable.error().message();
}

TEST(postgres_store_test, herald_tables_without_a_schema_version_are_refused_and_left_alone) {
  testing::PostgresDatabase database;
  ASSERT_TRUE(
      database.sql("CREATE TABLE herald_events (x int); INSERT INTO herald_events VALUES (7)"));
  EXPECT_ERROR(open_postgres_store(database.conninfo()), unavailable, "without a schema version");
  ASSERT_TRUE(
      database.sql("DO $$ BEGIN IF (SELECT x FROM herald_events) <> 7 THEN RAISE "
                   "'changed'; END IF; END $$"))
      << "left as it was";
}

}  // namespace
}  // namespace herald
