// Durable configuration: an Engine opened on a store finds its events, subscriptions and
// expiry timers again after a restart; a store that cannot be trusted is refused with a clear
// error and left untouched; a write the store refuses changes nothing.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "herald/rest.hpp"
#include "postgres_support.hpp"
#include "test_support.hpp"

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::event_spec;
using testing::k_other_project;
using testing::k_project;
using names = std::vector<std::string>;
namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("herald-store-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  [[nodiscard]] fs::path file(std::string_view name) const { return path_ / name; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::string contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The records' statuses in the file, in the order written ("" while pending), read with plain
// SQLite while a store holds the file.
std::vector<std::string> stored_statuses(const fs::path& path) {
  sqlite3* db = nullptr;
  std::vector<std::string> statuses;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_exec(
        db, "SELECT coalesce(status, '') FROM records ORDER BY sequence",
        [](void* out, int, char** values, char**) {
          static_cast<std::vector<std::string>*>(out)->emplace_back(values[0]);
          return 0;
        },
        &statuses, nullptr);
  }
  sqlite3_close(db);
  return statuses;
}

void sql(const fs::path& path, const std::string& script) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int code = sqlite3_exec(db, script.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(code, SQLITE_OK) << message;
}

enum class Kind { memory, sqlite, postgresql };

class store_test : public ::testing::TestWithParam<Kind> {
 protected:
  std::shared_ptr<Store> store() {
    if (GetParam() == Kind::memory) {
      if (!memory_) memory_ = memory_store();
      return memory_;
    }
    // The store an engine still has open (one process, one open store per file or database),
    // else anew.
    if (auto open = sqlite_.lock()) return open;
    auto opened = GetParam() == Kind::sqlite ? open_sqlite_store(dir_.file("herald.db"))
                                             : open_postgres_store(postgres().conninfo());
    EXPECT_TRUE(opened.ok()) << opened.error().message();
    if (!opened.ok()) return memory_store();
    sqlite_ = opened.value();
    return std::move(opened).value();
  }
  // Synchronous delivery unless a test asks otherwise: these tests are about what is stored,
  // and a synchronous trigger has finished its work when it returns.
  std::unique_ptr<Engine> open_engine(Options options = {}) {
    if (options.delivery == DeliveryMode::automatic) options.delivery = DeliveryMode::synchronous;
    auto engine = Engine::open(store(), options, clock_);
    EXPECT_TRUE(engine.ok()) << engine.error().message();
    return std::move(engine).value();
  }

  // The test's own database, made on first use.
  testing::PostgresDatabase& postgres() {
    if (!postgres_) postgres_ = std::make_unique<testing::PostgresDatabase>();
    return *postgres_;
  }

  TempDir dir_;
  std::unique_ptr<testing::PostgresDatabase> postgres_;
  std::shared_ptr<Store> memory_;
  std::weak_ptr<Store> sqlite_;
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
};

TEST_P(store_test, a_restart_finds_events_subscriptions_and_timers_again) {
  Options options;
  options.max_events_per_secret = 2;
  Event kept, updated;
  {
    auto engine = open_engine(options);
    kept = engine->create_event(k_project, testing::seed_event_spec()).value();
    ASSERT_TRUE(engine->create_event(k_project, event_spec("second")).ok());
    ASSERT_TRUE(engine->create_event(k_project, event_spec("gone")).ok());
    ASSERT_TRUE(engine->create_event(k_other_project, event_spec("theirs")).ok());
    clock_->advance(5s);
    EventPatch patch;
    patch.state = EventState::disabled;
    patch.event_types = {EventType::secret_deleted, EventType::secret_rotated};
    updated = engine->update_event(k_project, "second", patch).value();
    ASSERT_TRUE(engine->delete_event(k_project, "gone").ok());
    ASSERT_TRUE(
        engine->set_subscriptions(k_project, "db.password", names{"second", "demo-event"}).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_project, "cleared", names{}).ok());
    ASSERT_TRUE(engine
                    ->set_version_expiry(k_project, "db.password", "v1", clock_->now() + 1h,
                                         SecretType::rds_fg)
                    .ok());
    ASSERT_TRUE(
        engine->set_version_expiry(k_project, "only-expiry", "v9", clock_->now() + 2h).ok());
  }

  auto engine = open_engine(options);
  EXPECT_EQ(engine->show_event(k_project, "demo-event").value(), kept) << "id and times too";
  EXPECT_EQ(engine->show_event(k_project, "second").value(), updated);
  EXPECT_ERROR(engine->show_event(k_project, "gone"), not_found, "gone");
  EXPECT_TRUE(engine->show_event(k_other_project, "theirs").ok());
  EXPECT_EQ(engine->show_secret(k_project, "db.password")->event_subscriptions,
            (names{"second", "demo-event"}))
      << "in the order set";
  EXPECT_EQ(engine->show_secret(k_project, "cleared").value(), (Secret{"cleared", {}}));
  EXPECT_EQ(engine->show_secret(k_project, "only-expiry").value(), (Secret{"only-expiry", {}}));
  EXPECT_EQ(engine->show_version_expiry(k_project, "db.password", "v1")->expire_time,
            clock_->now() + 1h);
  EXPECT_ERROR(engine->delete_event(k_project, "second"), in_use, "1 secret")
      << "the subscription index is rebuilt too";

  // Routes work after a restart: the restored subscription dispatches.
  std::vector<std::string> delivered;
  const ScopedConnection sink = engine->connect_sink(
      "SMN", callback_sink([&](const Notification& n) { delivered.emplace_back(n.event_name); }));
  const auto report =
      engine->trigger(k_project, {"db.password", EventType::secret_version_created});
  EXPECT_EQ(report->notifications.size(), 1U);
  EXPECT_EQ(delivered, names{"demo-event"});
}

TEST_P(store_test, a_timer_that_came_due_while_down_fires_at_the_next_run) {
  {
    auto engine = open_engine();
    auto spec = event_spec("expiry");
    spec.event_types = {EventType::secret_version_expired};
    ASSERT_TRUE(engine->create_event(k_project, spec).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_project, "db", names{"expiry"}).ok());
    ASSERT_TRUE(engine->set_version_expiry(k_project, "db", "v1", clock_->now() + 10s).ok());
  }
  clock_->advance(1h);  // nobody ran meanwhile
  auto engine = open_engine();
  int fired = 0;
  const ScopedConnection sink =
      engine->connect_sink("SMN", callback_sink([&](const Notification&) { ++fired; }));
  EXPECT_EQ(engine->run_due(), 1U);
  EXPECT_EQ(fired, 1);
  auto again = open_engine();
  EXPECT_EQ(again->run_due(), 0U) << "fired once: its removal was stored";
}

TEST_P(store_test, secret_deleted_forgets_the_secret_in_the_store_too) {
  {
    auto engine = open_engine();
    ASSERT_TRUE(engine->create_event(k_project, event_spec("e")).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_project, "db", names{"e"}).ok());
    ASSERT_TRUE(engine->set_version_expiry(k_project, "db", "v1", clock_->now() + 1h).ok());
    ASSERT_TRUE(engine->trigger(k_project, {"db", EventType::secret_deleted}).ok());
  }
  auto engine = open_engine();
  EXPECT_ERROR(engine->show_secret(k_project, "db"), not_found, "db");
  EXPECT_FALSE(engine->show_version_expiry(k_project, "db", "v1")->expire_time.has_value());
  EXPECT_TRUE(engine->delete_event(k_project, "e").ok());
}

TEST_P(store_test, a_forgotten_secret_stays_forgotten_after_a_restart) {
  {
    auto engine = open_engine();
    ASSERT_TRUE(engine->create_event(k_project, event_spec("e")).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_project, "db", names{"e"}).ok());
    ASSERT_TRUE(engine->set_version_expiry(k_project, "db", "v1", clock_->now() + 1h).ok());
    ASSERT_TRUE(engine->forget_secret(k_project, "db").ok());
  }
  auto engine = open_engine();
  EXPECT_ERROR(engine->show_secret(k_project, "db"), not_found, "db");
  EXPECT_FALSE(engine->show_version_expiry(k_project, "db", "v1")->expire_time.has_value());
  EXPECT_TRUE(engine->delete_event(k_project, "e").ok());
}

TEST_P(store_test, a_secret_stored_as_dot_dot_before_the_rule_still_opens) {
  ASSERT_TRUE(store()->put_secret(k_project, "..", {}).ok());
  auto engine = open_engine();
  ASSERT_NE(engine, nullptr) << "the store opens; the secret is kept, though no longer reachable";
  EXPECT_TRUE(engine->set_subscriptions(k_project, "db", {}).ok()) << "the rest works";
}

TEST(store_restore_test, a_stored_timer_of_a_malformed_project_stops_the_open_naming_it) {
  auto store = memory_store();
  ASSERT_TRUE(store->put_timer(StoredTimer{"bad project", "db", "v1", TimePoint{}}).ok());
  const auto opened = Engine::open(store);
  EXPECT_ERROR(opened, unavailable, "project_id");
}

TEST_P(store_test, quotas_lowered_since_do_not_lose_stored_configuration) {
  Options roomy;
  roomy.max_events_per_secret = 3;
  {
    auto engine = open_engine(roomy);
    for (auto name : {"a", "b", "c"})
      ASSERT_TRUE(engine->create_event(k_project, event_spec(name)).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_project, "db", names{"a", "b", "c"}).ok());
  }
  auto engine = open_engine(Options{});  // default: one event per secret
  EXPECT_EQ(engine->show_secret(k_project, "db")->event_subscriptions, (names{"a", "b", "c"}));
  engine.reset();
  {
    auto roomier = open_engine(Options{.max_secrets_per_project = 3});
    ASSERT_TRUE(roomier->set_subscriptions(k_project, "two", {}).ok());
    ASSERT_TRUE(roomier->set_subscriptions(k_project, "three", {}).ok());
  }
  auto lowered = open_engine(Options{.max_secrets_per_project = 1});
  EXPECT_TRUE(lowered->show_secret(k_project, "three").ok()) << "all three secrets kept";
  EXPECT_ERROR(lowered->set_subscriptions(k_project, "four", {}), quota_exceeded, "secrets");
}

TEST_P(store_test, records_survive_a_restart_with_their_status_and_message) {
  std::vector<std::string> ids;
  {
    auto engine = open_engine();
    const ScopedConnection sink = engine->connect_sink("SMN", [](const Notification& n) {
      return n.secret_name == "bad" ? SinkOutcome::failed("topic gone") : SinkOutcome::delivered();
    });
    ASSERT_TRUE(engine->create_event(k_project, event_spec("e")).ok());
    for (auto secret : {"good", "bad"}) {
      ASSERT_TRUE(engine->set_subscriptions(k_project, secret, names{"e"}).ok());
      clock_->advance(1s);
      ids.emplace_back(
          engine->trigger(k_project, {secret, EventType::secret_rotated, SecretType::common, "v7"})
              ->notifications.at(0)
              .notification_id);
    }
  }
  auto engine = open_engine();
  const auto records = engine->list_records(k_project, {})->items;
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0].notification_id, ids[1]) << "newest first, as before";
  EXPECT_EQ(records[0].notification_status, NotificationStatus::fail);
  EXPECT_EQ(records[0].failure_reason, "topic gone");
  EXPECT_EQ(records[1].notification_status, NotificationStatus::success);
  EXPECT_EQ(records[1].secret_name, "good");
  EXPECT_NE(records[1].notification_content->find("\"version_id\":\"v7\""), std::string::npos);
  EXPECT_EQ(engine->deliver_pending(), 0U) << "nothing was left pending";
}

TEST_P(store_test, a_delivery_a_crash_left_in_the_outbox_goes_out_after_the_restart) {
  std::shared_ptr<const Notification> left;
  {
    auto engine = open_engine();
    ASSERT_TRUE(engine->create_event(k_project, event_spec("e")).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_project, "db", names{"e"}).ok());
    // What trigger writes before calling any sink, as a process killed right after would leave it.
    const auto target = event_spec("e").notification;
    left = make_notification({.notification_id = "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e",
                              .project_id = k_project,
                              .event_name = "e",
                              .event_id = engine->show_event(k_project, "e")->event_id,
                              .trigger_event_type = EventType::secret_rotated,
                              .secret_name = "db",
                              .trigger_time = clock_->now(),
                              .target = {target.target_type, target.target_id, target.target_name},
                              .message = "{\"notification_id\":\"bb6a3d22\"}"});
    const Notification* written[] = {left.get()};
    ASSERT_TRUE(store()->begin_deliveries(written, clock_->now() - std::chrono::days(90)).ok());
  }
  {
    auto engine = open_engine();
    EXPECT_TRUE(engine->list_records(k_project, {})->items.empty())
        << "pending records are not listed";
    std::vector<std::string> delivered;
    const ScopedConnection sink = engine->connect_sink(
        "SMN", callback_sink([&](const Notification& n) {
          delivered.push_back(fmt::format("{} {}", n.notification_id, n.message()));
        }));
    EXPECT_EQ(engine->deliver_pending(), 1U);
    EXPECT_EQ(delivered, names{fmt::format("{} {}", left->notification_id, left->message())})
        << "the same id and message";
    EXPECT_EQ(engine->list_records(k_project, {})->items.at(0).notification_status,
              NotificationStatus::success);
    EXPECT_EQ(engine->deliver_pending(), 0U);
  }  // closed: final statuses still waiting (group commit) are written now
  auto again = open_engine();
  EXPECT_EQ(again->deliver_pending(), 0U) << "the final status was stored";
  EXPECT_EQ(again->list_records(k_project, {})->items.size(), 1U);
}

TEST_P(store_test, records_are_listed_from_the_store_newest_first_with_filters_and_pages) {
  Options options;
  options.record_retention = std::chrono::hours(1);
  std::vector<std::string> sent;  // notification ids, in trigger order
  {
    auto engine = open_engine(options);
    const ScopedConnection sink = engine->connect_sink("SMN", [](const Notification& n) {
      return n.secret_name == "bad" ? SinkOutcome::failed("refused") : SinkOutcome::delivered();
    });
    ASSERT_TRUE(engine->create_event(k_project, event_spec("a")).ok());
    ASSERT_TRUE(engine->create_event(k_project, event_spec("b")).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_project, "s1", names{"a"}).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_project, "s2", names{"b"}).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_project, "bad", names{"a"}).ok());
    for (const char* secret : {"s1", "s2", "bad", "s1", "s2"}) {
      const auto report = engine->trigger(k_project, {secret, EventType::secret_rotated});
      sent.emplace_back(report->notifications.at(0).notification_id);
      clock_->advance(std::chrono::minutes(1));
    }
    // Another project's records never show.
    ASSERT_TRUE(engine->create_event(k_other_project, event_spec("a")).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_other_project, "s1", names{"a"}).ok());
    ASSERT_TRUE(engine->trigger(k_other_project, {"s1", EventType::secret_rotated}).ok());
  }
  auto engine = open_engine(options);  // after a restart: everything is read from the store
  const auto ids = [&](const RecordQuery& query) {
    std::vector<std::string> out;
    const auto page = engine->list_records(k_project, query).value();
    for (const auto& r : page.items) out.emplace_back(r.notification_id);
    return out;
  };
  EXPECT_EQ(ids({}), (names{sent[4], sent[3], sent[2], sent[1], sent[0]})) << "newest first";
  EXPECT_EQ(ids({.event_name = "b"}), (names{sent[4], sent[1]}));
  EXPECT_EQ(ids({.secret_name = "s1"}), (names{sent[3], sent[0]}));
  EXPECT_EQ(ids({.status = NotificationStatus::fail}), (names{sent[2]}));
  EXPECT_EQ(ids({.event_name = "a", .secret_name = "s2"}), names{});

  // Pages of two, by the opaque marker, to the end.
  std::vector<std::string> paged;
  RecordQuery query{.limit = 2};
  for (int pages = 0; pages < 5; ++pages) {
    const auto page = engine->list_records(k_project, query).value();
    for (const auto& r : page.items) paged.emplace_back(r.notification_id);
    EXPECT_EQ(page.page_info.current_count, page.items.size());
    if (!page.page_info.next_marker) break;
    query.marker = *page.page_info.next_marker;
    EXPECT_EQ(engine->list_records(k_project, query)->page_info.previous_marker, query.marker);
  }
  EXPECT_EQ(paged, (names{sent[4], sent[3], sent[2], sent[1], sent[0]}));
  EXPECT_ERROR(engine->list_records(k_project, {.marker = "not-ours"}), invalid_argument, "marker");

  // The retention boundary: the first record was triggered 5 minutes before the clock now.
  clock_->advance(std::chrono::minutes(55) - std::chrono::milliseconds(1));
  EXPECT_EQ(ids({}).size(), 5U) << "an hour less 1 ms old: still listed";
  clock_->advance(std::chrono::milliseconds(1));
  EXPECT_EQ(ids({}), (names{sent[4], sent[3], sent[2], sent[1]})) << "an hour old: gone";
}

TEST_P(store_test, retention_prunes_records_in_the_store_too) {
  Options options;
  options.record_retention = std::chrono::hours(1);
  {
    auto engine = open_engine(options);
    const ScopedConnection sink =
        engine->connect_sink("SMN", callback_sink([](const Notification&) {}));
    ASSERT_TRUE(engine->create_event(k_project, event_spec("e")).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_project, "old", names{"e"}).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_project, "new", names{"e"}).ok());
    ASSERT_TRUE(engine->trigger(k_project, {"old", EventType::secret_rotated}).ok());
    clock_->advance(std::chrono::hours(1));
    ASSERT_TRUE(engine->trigger(k_project, {"new", EventType::secret_rotated}).ok());
  }
  // Read the store itself, with no pruning time of its own: what it still holds.
  const auto page = store()->list_records(k_project, {}, TimePoint{}).value();
  ASSERT_EQ(page.items.size(), 1U) << "the hour-old record is gone from the store";
  EXPECT_EQ(page.items[0].secret_name, "new");
}

INSTANTIATE_TEST_SUITE_P(kinds, store_test,
                         ::testing::Values(Kind::memory, Kind::sqlite, Kind::postgresql),
                         [](const auto& param_info) {
                           switch (param_info.param) {
                             case Kind::memory: return "memory";
                             case Kind::sqlite: return "sqlite";
                             case Kind::postgresql: return "postgresql";
                           }
                           return "unknown";
                         });

// A store that refuses writes on demand, around a real one: the failure path of write-through.
class FlakyStore final : public Store {
 public:
  explicit FlakyStore(std::shared_ptr<Store> inner) : inner_(std::move(inner)) {}
  bool refuse = false;
  bool refuse_finishes = false;  // only final statuses

  Result<StoreSnapshot> load() override { return inner_->load(); }
  Result<void> put_event(std::string_view p, const Event& e) override {
    return refuse ? broken() : inner_->put_event(p, e);
  }
  Result<void> delete_event(std::string_view p, std::string_view n) override {
    return refuse ? broken() : inner_->delete_event(p, n);
  }
  Result<void> put_secret(std::string_view p, std::string_view s,
                          std::span<const std::string> n) override {
    return refuse ? broken() : inner_->put_secret(p, s, n);
  }
  Result<void> delete_secret(std::string_view p, std::string_view s) override {
    return refuse ? broken() : inner_->delete_secret(p, s);
  }
  Result<void> put_timer(const StoredTimer& t) override {
    return refuse ? broken() : inner_->put_timer(t);
  }
  Result<void> delete_timer(std::string_view p, std::string_view s, std::string_view v) override {
    return refuse ? broken() : inner_->delete_timer(p, s, v);
  }
  Result<void> put_topic(const StoredTopic& t) override {
    return refuse ? broken() : inner_->put_topic(t);
  }
  Result<void> put_subscription(const StoredSubscription& s) override {
    return refuse ? broken() : inner_->put_subscription(s);
  }
  Result<void> delete_subscription(std::string_view p, std::string_view id) override {
    return refuse ? broken() : inner_->delete_subscription(p, id);
  }
  Result<void> put_setting(std::string_view name, std::string_view value) override {
    return refuse ? broken() : inner_->put_setting(name, value);
  }
  Result<void> put_pushes(std::span<const StoredPush> pushes) override {
    return refuse ? broken() : inner_->put_pushes(pushes);
  }
  Result<void> update_push(const StoredPush& push) override {
    return refuse ? broken() : inner_->update_push(push);
  }
  Result<std::vector<StoredPush>> list_pushes(std::string_view p, std::string_view t,
                                              std::string_view s, std::size_t l,
                                              TimePoint prune_before,
                                              std::int64_t before) override {
    return inner_->list_pushes(p, t, s, l, prune_before, before);
  }
  Result<void> delete_topic(std::string_view p, std::string_view n) override {
    return refuse ? broken() : inner_->delete_topic(p, n);
  }
  Result<void> begin_deliveries(std::span<const Notification* const> n, TimePoint t) override {
    return refuse ? broken() : inner_->begin_deliveries(n, t);
  }
  Result<void> finish_delivery(std::string_view id, NotificationStatus st,
                               std::string_view reason) override {
    return refuse || refuse_finishes ? broken() : inner_->finish_delivery(id, st, reason);
  }
  Result<Page<NotificationRecord>> list_records(std::string_view p, const RecordQuery& q,
                                                TimePoint t) override {
    return inner_->list_records(p, q, t);
  }

 private:
  static Result<void> broken() { return Error{ErrorCode::unavailable, "store: disk full"}; }
  std::shared_ptr<Store> inner_;
};

TEST(store_readiness_test, readiness_follows_the_store_and_probes_at_most_once_a_second) {
  auto clock = std::make_shared<ManualClock>();
  auto flaky = std::make_shared<FlakyStore>(memory_store());
  auto engine = Engine::open(flaky, Options{.delivery = DeliveryMode::synchronous}, clock).value();
  SmnTopics topics("region-1");
  const RestRouter router(*engine, topics,
                          std::map<std::string, std::string>{{"t", std::string(k_project)}});
  const auto readyz = [&] { return router.handle(HttpRequest{"GET", "/readyz", {}, {}}); };
  EXPECT_TRUE(engine->check_store_writable().ok());
  EXPECT_EQ(readyz().status, 200);
  EXPECT_EQ(readyz().body, R"({"status":"ok"})");

  flaky->refuse = true;
  EXPECT_TRUE(engine->check_store_writable().ok()) << "within the second, the last probe stands";
  clock->advance(1s);
  const auto down = readyz();
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.body, R"({"status":"unavailable","reason":"store: disk full"})");

  flaky->refuse = false;
  EXPECT_EQ(readyz().status, 503) << "until the next probe";
  clock->advance(1s);
  EXPECT_EQ(readyz().status, 200) << "ready again by itself once writes succeed";

  // A readiness condition of the host's own (a broker) counts too.
  RestRouter with_broker(*engine, topics,
                         std::map<std::string, std::string>{{"t", std::string(k_project)}});
  with_broker.set_readiness_check([] {
    return Result<void>(Error{ErrorCode::unavailable, "broker: not connected"});
  });
  const auto broker_down = with_broker.handle(HttpRequest{"GET", "/readyz", {}, {}});
  EXPECT_EQ(broker_down.status, 503);
  EXPECT_NE(broker_down.body.find("broker: not connected"), std::string::npos);
  EXPECT_EQ(with_broker.handle(HttpRequest{"GET", "/healthz", {}, {}}).status, 200);
  EXPECT_EQ(with_broker.handle(HttpRequest{"POST", "/healthz", {}, {}}).status, 405);
}

TEST(store_write_through_test, a_refused_write_changes_nothing_in_memory_or_store) {
  auto clock = std::make_shared<ManualClock>();
  auto flaky = std::make_shared<FlakyStore>(memory_store());
  auto engine = Engine::open(flaky, Options{.delivery = DeliveryMode::synchronous}, clock).value();
  const auto original = engine->create_event(k_project, event_spec("e")).value();
  ASSERT_TRUE(engine->set_subscriptions(k_project, "db", names{"e"}).ok());
  ASSERT_TRUE(engine->set_version_expiry(k_project, "db", "v1", clock->now() + 1h).ok());

  flaky->refuse = true;
  clock->advance(1s);
  EXPECT_ERROR(engine->create_event(k_project, event_spec("new")), unavailable, "disk full");
  EventPatch patch;
  patch.state = EventState::disabled;
  EXPECT_ERROR(engine->update_event(k_project, "e", patch), unavailable, "disk full");
  EXPECT_ERROR(engine->set_subscriptions(k_project, "db", names{}), unavailable, "disk full");
  EXPECT_ERROR(engine->set_subscriptions(k_project, "fresh", names{}), unavailable, "disk full");
  EXPECT_ERROR(engine->set_version_expiry(k_project, "db", "v1", clock->now() + 2h), unavailable,
               "disk full");
  EXPECT_ERROR(engine->set_version_expiry(k_project, "db", "v1", std::nullopt), unavailable,
               "disk full");
  EXPECT_ERROR(engine->set_version_expiry(k_project, "other", "v1", clock->now() + 2h), unavailable,
               "disk full");
  EXPECT_ERROR(engine->set_subscriptions(k_project, "db", names{"e"}), unavailable, "disk full");

  // Memory is as before every refused call...
  EXPECT_ERROR(engine->show_event(k_project, "new"), not_found, "new");
  EXPECT_EQ(engine->show_event(k_project, "e").value(), original);
  EXPECT_EQ(engine->show_secret(k_project, "db")->event_subscriptions, names{"e"});
  EXPECT_ERROR(engine->show_secret(k_project, "fresh"), not_found, "fresh");
  EXPECT_ERROR(engine->show_secret(k_project, "other"), not_found, "other");
  EXPECT_EQ(engine->show_version_expiry(k_project, "db", "v1")->expire_time,
            clock->now() + 1h - 1s);

  // ...and a SECRET_DELETED the store cannot record leaves the secret known.
  ASSERT_TRUE(engine->trigger(k_project, {"db", EventType::secret_deleted}).ok());
  EXPECT_TRUE(engine->show_secret(k_project, "db").ok());

  // ...and so is the store: a restart sees the same.
  flaky->refuse = false;
  auto restarted =
      Engine::open(flaky, Options{.delivery = DeliveryMode::synchronous}, clock).value();
  EXPECT_EQ(restarted->show_event(k_project, "e").value(), original);
  EXPECT_EQ(restarted->show_secret(k_project, "db")->event_subscriptions, names{"e"});
  EXPECT_ERROR(restarted->show_event(k_project, "new"), not_found, "new");
}

TEST(store_failure_test, a_trigger_the_store_refuses_answers_unavailable_and_sends_nothing) {
  auto flaky = std::make_shared<FlakyStore>(memory_store());
  auto clock = std::make_shared<ManualClock>();
  auto engine = Engine::open(flaky, Options{.delivery = DeliveryMode::synchronous}, clock).value();
  int sent = 0;
  const ScopedConnection sink =
      engine->connect_sink("SMN", callback_sink([&](const Notification&) { ++sent; }));
  ASSERT_TRUE(engine->create_event(k_project, event_spec("e")).ok());
  ASSERT_TRUE(engine->set_subscriptions(k_project, "db", names{"e"}).ok());
  flaky->refuse = true;
  EXPECT_ERROR(engine->trigger(k_project, {"db", EventType::secret_rotated}), unavailable,
               "disk full");
  EXPECT_EQ(sent, 0) << "nothing is sent that is not durable";
  flaky->refuse = false;
  EXPECT_TRUE(flaky->load()->pending.empty()) << "nothing half-written";
  EXPECT_TRUE(engine->list_records(k_project, {})->items.empty());
  const auto later = engine->trigger(k_project, {"db", EventType::secret_rotated});
  ASSERT_TRUE(later.ok()) << "a later write succeeds";
  EXPECT_EQ(later->notifications.at(0).notification_status, NotificationStatus::success);
  EXPECT_EQ(engine->list_records(k_project, {})->items.size(), 1U);
  EXPECT_EQ(engine->store_write_failures(), 0U) << "the caller was told: not counted as silent";
}

TEST(store_failure_test, a_final_status_the_store_refuses_is_counted_logged_and_made_again) {
  auto flaky = std::make_shared<FlakyStore>(memory_store());
  auto clock = std::make_shared<ManualClock>();
  std::vector<std::string> logged;
  std::mutex log_mutex;
  Options options{.delivery = DeliveryMode::synchronous};
  options.log = [&](LogLevel level, std::string_view message, std::span<const LogField>) {
    std::lock_guard lock(log_mutex);
    if (level == LogLevel::error) logged.emplace_back(message);
  };
  std::string id;
  {
    auto engine = Engine::open(flaky, options, clock).value();
    const ScopedConnection sink =
        engine->connect_sink("SMN", callback_sink([](const Notification&) {}));
    ASSERT_TRUE(engine->create_event(k_project, event_spec("e")).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_project, "db", names{"e"}).ok());
    flaky->refuse_finishes = true;
    const auto report = engine->trigger(k_project, {"db", EventType::secret_rotated});
    ASSERT_TRUE(report.ok()) << "delivered: the message went out";
    id = report->notifications.at(0).notification_id;
    EXPECT_EQ(engine->store_write_failures(), 1U);
    ASSERT_EQ(logged.size(), 1U);
    EXPECT_NE(logged[0].find(id), std::string::npos) << logged[0];
    EXPECT_NE(logged[0].find("disk full"), std::string::npos) << logged[0];
  }
  flaky->refuse_finishes = false;
  auto restarted = Engine::open(flaky, options, clock).value();
  std::vector<std::string> again;
  const ScopedConnection sink = restarted->connect_sink(
      "SMN", callback_sink([&](const Notification& n) { again.emplace_back(n.notification_id); }));
  EXPECT_EQ(restarted->deliver_pending(), 1U);
  EXPECT_EQ(again, names{id}) << "made again, with the same id: at least once";
  EXPECT_EQ(restarted->store_write_failures(), 0U);
}

TEST(sqlite_store_test, a_file_that_is_not_a_database_is_refused_and_left_untouched) {
  TempDir dir;
  const auto path = dir.file("garbage.db");
  { std::ofstream(path, std::ios::binary) << std::string(8192, 'x') << "not sqlite at all"; }
  const auto before = contents(path);
  const auto opened = open_sqlite_store(path);
  EXPECT_ERROR(opened, unavailable, path.string());
  EXPECT_NE(opened.error().message().find("not a herald database, or damaged"), std::string::npos)
      << opened.error().message();
  EXPECT_EQ(contents(path), before);
  EXPECT_FALSE(fs::exists(path.string() + "-wal"));
}

TEST(sqlite_store_test, a_damaged_database_is_refused_and_left_untouched) {
  TempDir dir;
  const auto path = dir.file("damaged.db");
  {
    auto store = open_sqlite_store(path).value();
    auto engine = Engine::open(store, Options{.max_events_per_project = 500}).value();
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(engine->create_event(k_project, event_spec(testing::numbered_name(i))).ok());
    }
  }
  sql(path, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;");
  // Scribble over the middle of the file: pages of the events table.
  auto bytes = contents(path);
  ASSERT_GT(bytes.size(), 20000U);
  for (std::size_t i = 8192; i < 16384; ++i) bytes[i] = static_cast<char>(i * 7);
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes; }
  const auto opened = open_sqlite_store(path);
  ASSERT_FALSE(opened.ok()) << "a damaged file must not open";
  EXPECT_EQ(opened.error().code(), ErrorCode::unavailable);
  EXPECT_NE(opened.error().message().find(path.string()), std::string::npos);
  EXPECT_EQ(contents(path), bytes) << "left untouched";
}

TEST(sqlite_store_test, a_file_written_by_a_newer_herald_is_refused_and_left_untouched) {
  TempDir dir;
  const auto path = dir.file("newer.db");
  sql(path, "CREATE TABLE future_things (x); PRAGMA user_version = " +
                std::to_string(k_store_schema_version + 1) + ";");
  const auto before = contents(path);
  const auto opened = open_sqlite_store(path);
  EXPECT_ERROR(opened, unavailable, "newer herald");
  EXPECT_NE(
      opened.error().message().find("schema version " + std::to_string(k_store_schema_version + 1)),
      std::string::npos)
      << opened.error().message();
  EXPECT_EQ(contents(path), before);
}

TEST(sqlite_store_test, another_programs_database_is_refused_and_left_untouched) {
  TempDir dir;
  const auto path = dir.file("theirs.db");
  sql(path,
      "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES "
      "(1, 'x');");
  const auto before = contents(path);
  EXPECT_ERROR(open_sqlite_store(path), unavailable, "another program");
  EXPECT_EQ(contents(path), before);
}

TEST(sqlite_store_test, a_file_of_the_first_schema_opens_with_its_rows) {
  // Written as the first schema's SQL laid it out, by hand, as an older herald left it.
  TempDir dir;
  const auto path = dir.file("v1.db");
  sql(path, R"sql(
    CREATE TABLE events (project_id TEXT NOT NULL, name TEXT NOT NULL, event_id TEXT NOT NULL,
      event_types TEXT NOT NULL, state TEXT NOT NULL, create_time INTEGER NOT NULL,
      update_time INTEGER NOT NULL, target_type TEXT NOT NULL, target_id TEXT NOT NULL,
      target_name TEXT NOT NULL, PRIMARY KEY (project_id, name)) WITHOUT ROWID;
    CREATE TABLE secrets (project_id TEXT NOT NULL, secret_name TEXT NOT NULL,
      PRIMARY KEY (project_id, secret_name)) WITHOUT ROWID;
    CREATE TABLE subscriptions (project_id TEXT NOT NULL, secret_name TEXT NOT NULL,
      position INTEGER NOT NULL, event_name TEXT NOT NULL,
      PRIMARY KEY (project_id, secret_name, position)) WITHOUT ROWID;
    CREATE TABLE expiry_timers (project_id TEXT NOT NULL, secret_name TEXT NOT NULL,
      version_id TEXT NOT NULL, expire_time INTEGER NOT NULL, secret_type TEXT NOT NULL,
      PRIMARY KEY (project_id, secret_name, version_id)) WITHOUT ROWID;
    INSERT INTO events VALUES ('p1', 'demo-event', 'bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e',
      'SECRET_VERSION_CREATED,SECRET_VERSION_EXPIRED', 'ENABLED', 1581507580000, 1581507580000,
      'SMN', 'urn:smn:cn-north-4:p1:test-poc', 'demo-smn-name');
    INSERT INTO secrets VALUES ('p1', 'db');
    INSERT INTO subscriptions VALUES ('p1', 'db', 0, 'demo-event');
    INSERT INTO expiry_timers VALUES ('p1', 'db', 'v1', 1581507590000, 'COMMON');
    PRAGMA user_version = 1;
  )sql");
  auto store = open_sqlite_store(path);
  ASSERT_TRUE(store.ok()) << store.error().message();
  auto engine = Engine::open(std::move(store).value(), Options{}, std::make_shared<ManualClock>());
  ASSERT_TRUE(engine.ok()) << engine.error().message();
  const auto event = (*engine)->show_event("p1", "demo-event").value();
  EXPECT_EQ(event.event_id, "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e");
  EXPECT_EQ(event.event_types, (std::vector<EventType>{EventType::secret_version_created,
                                                       EventType::secret_version_expired}));
  EXPECT_EQ((*engine)->show_secret("p1", "db")->event_subscriptions, names{"demo-event"});
  EXPECT_EQ(to_epoch_ms(*(*engine)->show_version_expiry("p1", "db", "v1")->expire_time),
            1'581'507'590'000);
}

TEST(sqlite_store_test, stored_values_that_break_the_contract_are_refused_by_name) {
  TempDir dir;
  const auto path = dir.file("bad-row.db");
  { (void)open_sqlite_store(path).value(); }  // the current schema
  sql(path,
      R"sql(INSERT INTO events VALUES ('p1', 'bad.name', 'bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e',
      'SECRET_ROTATED', 'ENABLED', 1, 1, 'SMN', 'urn:smn:r:p1:t', 't');)sql");
  auto store = open_sqlite_store(path);
  ASSERT_TRUE(store.ok());
  const auto engine = Engine::open(std::move(store).value());
  EXPECT_ERROR(engine, unavailable, "bad.name");
}

TEST(sqlite_store_test, a_second_opener_of_one_file_is_refused_until_the_first_closes) {
  TempDir dir;
  const auto path = dir.file("locked.db");
  auto first = open_sqlite_store(path);
  ASSERT_TRUE(first.ok()) << first.error().message();
  const auto second = open_sqlite_store(path);
  EXPECT_ERROR(second, unavailable,
               "store in use by another process (pid " + std::to_string(::getpid()) + ")");
  ASSERT_TRUE(first.value()->put_secret(k_project, "db", {}).ok()) << "the first keeps working";
  first = Error{ErrorCode::internal, "closed"};  // releases the store, and its lock
  auto again = open_sqlite_store(path);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again.value()->load()->secrets.size(), 1U);
}

TEST(sqlite_store_test, a_file_moved_away_while_open_refuses_every_write_after) {
  TempDir dir;
  const auto path = dir.file("moved.db");
  auto store = open_sqlite_store(path).value();
  ASSERT_TRUE(store->put_secret(k_project, "before", {}).ok());
  fs::rename(path, dir.file("elsewhere.db"));
  EXPECT_ERROR(store->put_secret(k_project, "after", {}), unavailable, "removed or replaced");
  EXPECT_ERROR(store->put_topic({std::string(k_project), "t", ""}), unavailable,
               "removed or replaced");
  // Reopened, the path names a new, empty file: the refused write is in neither.
  store.reset();
  auto fresh = open_sqlite_store(path).value();
  EXPECT_TRUE(fresh->load()->secrets.empty()) << "the write after the move was not made here";
}

TEST(sqlite_store_test, per_trigger_durability_stores_each_final_status_at_once) {
  TempDir dir;
  const auto path = dir.file("per-trigger.db");
  auto engine =
      Engine::open(open_sqlite_store(path, {.durability = Durability::per_trigger}).value(),
                   Options{.delivery = DeliveryMode::synchronous})
          .value();
  const ScopedConnection sink =
      engine->connect_sink("SMN", callback_sink([](const Notification&) {}));
  ASSERT_TRUE(engine->create_event(k_project, event_spec("e")).ok());
  ASSERT_TRUE(engine->set_subscriptions(k_project, "db", names{"e"}).ok());
  ASSERT_TRUE(engine->trigger(k_project, {"db", EventType::secret_rotated}).ok());
  // Read by another connection while the engine still runs: the status is already there.
  EXPECT_EQ(stored_statuses(path), names{"SUCCESS"});
}

TEST(sqlite_store_test, batched_durability_writes_waiting_statuses_soon_without_a_trigger) {
  TempDir dir;
  const auto path = dir.file("batched.db");
  auto engine =
      Engine::open(open_sqlite_store(path).value(), Options{.delivery = DeliveryMode::synchronous})
          .value();
  const ScopedConnection sink =
      engine->connect_sink("SMN", callback_sink([](const Notification&) {}));
  ASSERT_TRUE(engine->create_event(k_project, event_spec("e")).ok());
  ASSERT_TRUE(engine->set_subscriptions(k_project, "db", names{"e"}).ok());
  ASSERT_TRUE(engine->trigger(k_project, {"db", EventType::secret_rotated}).ok());
  // No other trigger comes to carry the status: the store's own writer does, within ~20 ms.
  // Read by another connection while the engine still runs.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (stored_statuses(path) != names{"SUCCESS"} && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(stored_statuses(path), names{"SUCCESS"});
}

TEST(sqlite_store_test, retention_prunes_a_backlog_in_batches_and_records_of_older_ids_too) {
  TempDir dir;
  const auto path = dir.file("prune.db");
  auto clock = std::make_shared<ManualClock>();
  auto store = open_sqlite_store(path).value();
  Options options{.record_retention = 1h, .delivery = DeliveryMode::synchronous};
  auto engine = Engine::open(store, options, clock).value();
  const ScopedConnection sink =
      engine->connect_sink("SMN", callback_sink([](const Notification&) {}));
  ASSERT_TRUE(engine->create_event(k_project, event_spec("e")).ok());
  ASSERT_TRUE(engine->set_subscriptions(k_project, "db", names{"e"}).ok());
  // A record as an older herald made it: a UUID v4 id.
  const auto target = event_spec("e").notification;
  const auto legacy =
      make_notification({.notification_id = "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e",
                         .project_id = k_project,
                         .event_name = "e",
                         .event_id = "5f0e1c2d-aaaa-4bbb-8ccc-123456789012",
                         .secret_name = "db",
                         .trigger_time = clock->now(),
                         .target = {target.target_type, target.target_id, target.target_name}});
  const Notification* written[] = {legacy.get()};
  ASSERT_TRUE(store->begin_deliveries(written, clock->now() - 1h).ok());
  ASSERT_TRUE(
      store->finish_delivery(legacy->notification_id, NotificationStatus::success, "").ok());
  // More old records than one prune takes (1000).
  for (int i = 0; i < 1500; ++i) {
    ASSERT_TRUE(engine->trigger(k_project, {"db", EventType::secret_rotated}).ok());
  }
  clock->advance(2h);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(engine->trigger(k_project, {"db", EventType::secret_rotated}).ok());
  }
  engine.reset();
  store.reset();
  EXPECT_EQ(stored_statuses(path), (names{"SUCCESS", "SUCCESS", "SUCCESS"}))
      << "every record past retention is gone from the file, the older id's too";
}

TEST(sqlite_store_test, a_file_of_schema_5_moves_to_pruning_by_id_and_keeps_its_records) {
  TempDir dir;
  const auto path = dir.file("v5.db");
  auto clock = std::make_shared<ManualClock>();
  {
    auto engine = Engine::open(open_sqlite_store(path).value(),
                               Options{.delivery = DeliveryMode::synchronous}, clock)
                      .value();
    const ScopedConnection sink =
        engine->connect_sink("SMN", callback_sink([](const Notification&) {}));
    ASSERT_TRUE(engine->create_event(k_project, event_spec("e")).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_project, "db", names{"e"}).ok());
    ASSERT_TRUE(engine->trigger(k_project, {"db", EventType::secret_rotated}).ok());
  }
  // What schema 5 had: a time index, no legacy index (and none of schema 7's tables).
  sql(path, R"sql(
    DROP TABLE smn_subscriptions;
    DROP TABLE settings;
    DROP TABLE smn_pushes;
    DROP INDEX records_legacy_by_time;
    CREATE INDEX records_by_time ON records (trigger_time);
    PRAGMA user_version = 5;
  )sql");
  auto engine = Engine::open(open_sqlite_store(path).value(),
                             Options{.delivery = DeliveryMode::synchronous}, clock);
  ASSERT_TRUE(engine.ok()) << engine.error().message();
  EXPECT_EQ((*engine)->list_records(k_project, {})->items.size(), 1U);
  engine = Error{ErrorCode::internal, "closed"};
  std::vector<std::string> indexes;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_exec(
      db, "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
      [](void* out, int, char** values, char**) {
        static_cast<std::vector<std::string>*>(out)->emplace_back(values[0]);
        return 0;
      },
      &indexes, nullptr);
  std::int64_t version = 0;
  sqlite3_exec(
      db, "PRAGMA user_version",
      [](void* out, int, char** values, char**) {
        *static_cast<std::int64_t*>(out) = std::stoll(values[0]);
        return 0;
      },
      &version, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(indexes, (names{"records_by_project", "records_legacy_by_time", "records_pending",
                            "smn_pushes_by_topic", "smn_pushes_pending"}));
  EXPECT_EQ(version, k_store_schema_version);
}

TEST(store_delivery_mode_test, an_engine_on_a_store_delivers_asynchronously_by_default) {
  auto clock = std::make_shared<ManualClock>();
  auto engine = Engine::open(memory_store(), Options{.delivery_workers = 0}, clock).value();
  ASSERT_TRUE(engine->create_event(k_project, event_spec("e")).ok());
  ASSERT_TRUE(engine->set_subscriptions(k_project, "db", names{"e"}).ok());
  const auto report = engine->trigger(k_project, {"db", EventType::secret_rotated}).value();
  EXPECT_EQ(report.notifications.at(0).notification_status, NotificationStatus::pending);
  Engine plain(Options{}, clock);
  ASSERT_TRUE(plain.create_event(k_project, event_spec("e")).ok());
  ASSERT_TRUE(plain.set_subscriptions(k_project, "db", names{"e"}).ok());
  EXPECT_EQ(plain.trigger(k_project, {"db", EventType::secret_rotated})
                ->notifications.at(0)
                .notification_status,
            NotificationStatus::invalid)
      << "without a store: synchronous, final at once (no sink: INVALID)";
}

TEST(smn_store_test, topics_kept_in_a_store_come_back_and_deletions_stay) {
  TempDir dir;
  const auto path = dir.file("topics.db");
  std::string urn;
  {
    auto topics = SmnTopics::open("region-9", open_sqlite_store(path).value()).value();
    urn = topics->create_topic(k_project, "rotations", "Rotation notices")->topic.topic_urn;
    ASSERT_TRUE(topics->create_topic(k_project, "doomed").ok());
    ASSERT_TRUE(
        topics->delete_topic(k_project, "urn:smn:region-9:" + std::string(k_project) + ":doomed")
            .ok());
  }
  auto topics = SmnTopics::open("region-9", open_sqlite_store(path).value()).value();
  const auto listed = topics->list_topics(k_project).value().topics;
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0], (SmnTopic{urn, "rotations", "Rotation notices"}));
  EXPECT_FALSE(topics->create_topic(k_project, "rotations")->created) << "still there";
}

TEST(smn_store_test, subscriptions_kept_in_a_store_come_back_confirmed_with_their_secret) {
  TempDir dir;
  const auto path = dir.file("subscriptions.db");
  SmnOptions options;
  options.allow_private_endpoints = true;
  std::string urn, kept, secret;
  {
    auto topics = SmnTopics::open("region-1", open_sqlite_store(path).value(), options).value();
    urn = topics->create_topic(k_project, "t")->topic.topic_urn;
    const auto a = topics->add_subscription(k_project, urn, "http", "http://127.0.0.1:9/a", "r");
    ASSERT_TRUE(a.ok()) << a.error().message();
    ASSERT_TRUE(topics->confirm_subscription(a->confirm_token).ok());
    kept = a->subscription.subscription_urn;
    secret = a->signing_secret;
    const auto b = topics->add_subscription(k_project, urn, "http", "http://127.0.0.1:9/b").value();
    ASSERT_TRUE(topics->delete_subscription(k_project, b.subscription.subscription_urn).ok());
  }
  auto topics = SmnTopics::open("region-1", open_sqlite_store(path).value(), options).value();
  const auto listed = topics->list_subscriptions(k_project, urn).value();
  ASSERT_EQ(listed.subscription_count, 1U) << "the deleted one stays deleted";
  EXPECT_EQ(listed.subscriptions[0], (SmnSubscription{kept, urn, "http", "http://127.0.0.1:9/a",
                                                      "r", std::string(k_project), 1}));
  ASSERT_EQ(topics->push_targets(urn).size(), 1U);
  EXPECT_EQ(topics->push_targets(urn)[0].signing_secret, secret)
      << "the same secret after a restart";
  ASSERT_TRUE(topics->delete_topic(k_project, urn).ok());
  topics.reset();
  topics = SmnTopics::open("region-1", open_sqlite_store(path).value(), options).value();
  EXPECT_TRUE(topics->push_targets(urn).empty()) << "the topic's subscriptions went with it";
}

TEST(smn_store_test, a_subscription_the_store_refuses_is_not_added) {
  auto flaky = std::make_shared<FlakyStore>(memory_store());
  SmnOptions options;
  options.allow_private_endpoints = true;
  auto topics = SmnTopics::open("region-1", flaky, options).value();
  const auto urn = topics->create_topic(k_project, "t")->topic.topic_urn;
  flaky->refuse = true;
  EXPECT_ERROR(topics->add_subscription(k_project, urn, "http", "http://127.0.0.1/"), unavailable,
               "disk full");
  flaky->refuse = false;
  EXPECT_EQ(topics->list_subscriptions(k_project, urn)->subscription_count, 0U);
}

TEST(smn_store_test, a_topic_the_store_refuses_is_not_created) {
  auto flaky = std::make_shared<FlakyStore>(memory_store());
  auto topics = SmnTopics::open("region-1", flaky).value();
  flaky->refuse = true;
  EXPECT_ERROR(topics->create_topic(k_project, "t"), unavailable, "disk full");
  EXPECT_TRUE(topics->list_topics(k_project)->topics.empty());
}

TEST(sqlite_store_test, concurrent_triggers_share_commits_and_lose_nothing) {
  TempDir dir;
  const auto path = dir.file("group.db");
  std::set<std::string> reported;
  {
    auto engine = Engine::open(open_sqlite_store(path).value(),
                               Options{.delivery = DeliveryMode::synchronous})
                      .value();
    const ScopedConnection sink =
        engine->connect_sink("SMN", callback_sink([](const Notification&) {}));
    ASSERT_TRUE(engine->create_event(k_project, event_spec("e")).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_project, "a", names{"e"}).ok());
    ASSERT_TRUE(engine->set_subscriptions(k_project, "b", names{"e"}).ok());
    std::mutex mutex;
    const auto fire = [&](const char* secret) {
      for (int i = 0; i < 200; ++i) {
        const auto report = engine->trigger(k_project, {secret, EventType::secret_rotated});
        ASSERT_TRUE(report.ok()) << report.error().message();
        std::lock_guard lock(mutex);
        reported.emplace(report->notifications.at(0).notification_id);
      }
    };
    std::thread first(fire, "a"), second(fire, "b");
    first.join();
    second.join();
  }
  auto reopened = open_sqlite_store(path).value();
  EXPECT_TRUE(reopened->load()->pending.empty()) << "nothing left in the outbox";
  std::set<std::string> stored;
  const auto page = reopened->list_records(k_project, {.limit = 1000}, TimePoint{}).value();
  for (const auto& record : page.items) {
    EXPECT_EQ(record.notification_status, NotificationStatus::success);
    stored.emplace(record.notification_id);
  }
  EXPECT_EQ(reported.size(), 400U);
  EXPECT_EQ(stored, reported);
}

TEST(sqlite_store_test, a_directory_that_does_not_exist_is_a_clear_error) {
  const auto path = fs::temp_directory_path() / "herald-no-such-dir" / "x.db";
  EXPECT_ERROR(open_sqlite_store(path), unavailable, path.string());
}

}  // namespace
}  // namespace herald
