// Durable triggers: Engine::trigger on an engine opened on a SQLite store (WAL), so that each
// trigger's record and delivery are written before its sink runs and stamped after. Baseline in
// the same binary: the same trigger on an engine without a store.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include "bench_support.hpp"
#include "herald/herald.hpp"

namespace herald::bench {
namespace {

constexpr std::string_view k_project = "bench-project";

struct Durable {
  Durable(bool with_store, Durability durability, DeliveryMode mode) {
    // A file of its own: a SQLite store is one opener's (the two-thread benchmark keeps its
    // engine open for the whole run).
    static int count = 0;
    path = std::filesystem::temp_directory_path() /
           ("herald-bench-" + std::to_string(::getpid()) + "-" + std::to_string(++count) +
            (with_store ? ".db" : ".none"));
    std::filesystem::remove(path);
    Options options;
    options.max_secrets_per_project = k_unlimited;
    options.record_retention = std::chrono::milliseconds(200);
    options.delivery = mode;
    if (with_store) {
      engine = Engine::open(open_sqlite_store(path, {.durability = durability}).value(), options)
                   .value();
    } else {
      engine = std::make_unique<Engine>(options);
    }
    sink =
        engine->connect_sink("NOOP", [](const Notification&) { return SinkOutcome::delivered(); });
    const EventSpec spec{"e",
                         {EventType::secret_rotated},
                         EventState::enabled,
                         {"NOOP", "urn:smn:region-1:bench-project:t", "t"}};
    (void)engine->create_event(k_project, spec).value();
    for (const auto& name : secret_names(1000)) {
      (void)engine->set_subscriptions(k_project, name, std::vector<std::string>{"e"}).value();
    }
  }
  ~Durable() {
    sink = ScopedConnection{};
    engine.reset();
    for (const auto* suffix : {"", "-wal", "-shm", ".lock"}) {
      std::filesystem::remove(path.string() + suffix);
    }
  }
  std::filesystem::path path;
  std::unique_ptr<Engine> engine;
  ScopedConnection sink;
};

void BM_durable_trigger(benchmark::State& state) {
  Durable d(state.range(0) != 0,
            state.range(1) != 0 ? Durability::per_trigger : Durability::batched,
            state.range(2) != 0 ? DeliveryMode::asynchronous : DeliveryMode::synchronous);
  const auto names = secret_names(1000);
  std::size_t i = 0;
  for (auto _ : state) {
    auto report =
        d.engine->trigger(k_project, {names[i++ % names.size()], EventType::secret_rotated});
    if (!report || report->notifications.size() != 1) {
      state.SkipWithError("trigger failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// store:0 is the baseline (no store); per_trigger:1 fsyncs every commit; async:1 delivers on
// two worker threads (the default on a store), async:0 inside trigger.
// Two triggering threads on one durable engine (synchronous delivery): group commit lets them
// share transactions.
void BM_durable_trigger_threads(benchmark::State& state) {
  static std::once_flag once;
  static std::unique_ptr<Durable> shared;
  std::call_once(once, [] {
    shared = std::make_unique<Durable>(true, Durability::batched, DeliveryMode::synchronous);
  });
  const auto names = secret_names(1000);
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 500;
  for (auto _ : state) {
    auto report =
        shared->engine->trigger(k_project, {names[i++ % names.size()], EventType::secret_rotated});
    if (!report || report->notifications.size() != 1) {
      state.SkipWithError("trigger failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_durable_trigger_threads)->ThreadRange(1, 2)->UseRealTime();

// Steady state: asynchronous delivery (the default on a store) with a 200 ms retention, so that
// pruning runs throughout, timed in stretches of 1 000 triggers: the slowest stretch against
// the average shows stalls (a checkpoint, a prune, the queue filling) that an average hides.
void BM_durable_stretches(benchmark::State& state) {
  Durable d(true, Durability::batched, DeliveryMode::asynchronous);
  const auto names = secret_names(1000);
  constexpr std::size_t k_stretch = 1000;
  std::vector<double> stretches;  // seconds per stretch
  std::size_t i = 0;
  auto started = std::chrono::steady_clock::now();
  const auto first = started;
  for (auto _ : state) {
    auto report =
        d.engine->trigger(k_project, {names[i++ % names.size()], EventType::secret_rotated});
    if (!report || report->notifications.size() != 1) {
      state.SkipWithError("trigger failed");
      break;
    }
    if (i % k_stretch == 0) {
      const auto now = std::chrono::steady_clock::now();
      stretches.push_back(std::chrono::duration<double>(now - started).count());
      started = now;
    }
  }
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - first).count();
  state.SetItemsProcessed(state.iterations());
  if (stretches.empty()) return;
  const double average = static_cast<double>(i) / total;
  const double slowest =
      static_cast<double>(k_stretch) / *std::max_element(stretches.begin(), stretches.end());
  state.counters["stretches"] = static_cast<double>(stretches.size());
  state.counters["average_per_second"] = average;
  state.counters["slowest_stretch_per_second"] = slowest;
  state.counters["slowest_over_average"] = slowest / average;
}

// The floor of a durable trigger: the same transaction herald commits for one synchronous
// trigger (insert one pending record, stamp the previous one's status) straight through
// sqlite3, WAL with synchronous=NORMAL, the records table with herald's indexes. args: page
// size, and whether the time index of schema 5 is there (schema 6 prunes through the ids).
void BM_sqlite_floor(benchmark::State& state) {
  const auto page_size = state.range(0);
  const bool time_index = state.range(1) != 0;
  const auto path = std::filesystem::temp_directory_path() /
                    ("herald-bench-floor-" + std::to_string(::getpid()) + ".db");
  for (const auto* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  std::string setup = "PRAGMA page_size=" + std::to_string(page_size) +
                      "; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                      "CREATE TABLE records (sequence INTEGER PRIMARY KEY, notification_id TEXT "
                      "NOT NULL UNIQUE, project_id TEXT NOT NULL, event_name TEXT NOT NULL, "
                      "event_id TEXT NOT NULL, trigger_event_type TEXT NOT NULL, secret_name TEXT "
                      "NOT NULL, secret_type TEXT NOT NULL, version_id TEXT, trigger_time INTEGER "
                      "NOT NULL, target_type TEXT NOT NULL, target_id TEXT NOT NULL, target_name "
                      "TEXT NOT NULL, content TEXT NOT NULL, status TEXT, reason TEXT NOT NULL);"
                      "CREATE INDEX records_by_project ON records (project_id, sequence);"
                      "CREATE INDEX records_pending ON records (sequence) WHERE status IS NULL;";
  if (time_index) setup += "CREATE INDEX records_by_time ON records (trigger_time);";
  if (sqlite3_exec(db, setup.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    state.SkipWithError("setup failed");
    sqlite3_close(db);
    return;
  }
  sqlite3_stmt *insert = nullptr, *update = nullptr, *begin = nullptr, *commit = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO records (notification_id, project_id, event_name, event_id, "
                     "trigger_event_type, secret_name, secret_type, version_id, trigger_time, "
                     "target_type, target_id, target_name, content, status, reason) VALUES "
                     "(?,?,?,?,?,?,?,NULL,?,?,?,?,?,NULL,'')",
                     -1, &insert, nullptr);
  sqlite3_prepare_v2(db,
                     "UPDATE records SET status = 'SUCCESS', reason = '' WHERE notification_id = ?",
                     -1, &update, nullptr);
  sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, nullptr);
  sqlite3_prepare_v2(db, "COMMIT", -1, &commit, nullptr);
  const std::string content(300, 'x');  // about a herald JSON message
  std::string previous;
  std::int64_t i = 0;
  for (auto _ : state) {
    const std::string id =
        fmt::format("{:08x}-{:04x}-7abc-8def-{:012x}", (i >> 16) + 0x1900000, i & 0xffff, i);
    sqlite3_step(begin);
    sqlite3_reset(begin);
    if (!previous.empty()) {
      sqlite3_bind_text(update, 1, previous.data(), static_cast<int>(previous.size()),
                        SQLITE_STATIC);
      sqlite3_step(update);
      sqlite3_reset(update);
    }
    int column = 1;
    for (const char* text :
         {id.c_str(), "bench-project", "e", "5f0e1c2d-aaaa-4bbb-8ccc-123456789012",
          "SECRET_ROTATED", "secret-00000042", "COMMON"}) {
      sqlite3_bind_text(insert, column++, text, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64(insert, column++, 1'700'000'000'000 + i);
    for (const char* text : {"NOOP", "urn:smn:region-1:bench-project:t", "t", content.c_str()}) {
      sqlite3_bind_text(insert, column++, text, -1, SQLITE_STATIC);
    }
    sqlite3_step(insert);
    sqlite3_reset(insert);
    sqlite3_step(commit);
    sqlite3_reset(commit);
    previous = id;
    ++i;
  }
  for (auto* statement : {insert, update, begin, commit}) sqlite3_finalize(statement);
  sqlite3_close(db);
  for (const auto* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_sqlite_floor)
    ->ArgNames({"page", "time_index"})
    ->Args({4096, 1})
    ->Args({4096, 0})
    ->Args({2048, 0})
    ->UseRealTime();

BENCHMARK(BM_durable_stretches)->Iterations(200'000)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK(BM_durable_trigger)
    ->ArgNames({"store", "per_trigger", "async"})
    ->Args({0, 0, 0})
    ->Args({1, 0, 0})
    ->Args({1, 0, 1})
    ->Args({1, 1, 0})
    ->UseRealTime();

}  // namespace
}  // namespace herald::bench

BENCHMARK_MAIN();
