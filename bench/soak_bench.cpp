// Long runs through the public API, as a host runs herald for days: memory sampled while a
// million triggers go through, speed early against speed late, and a restart on a store that
// holds a million records. Each benchmark is one iteration of its own loop; the figures are
// counters (MB, triggers/s, seconds).
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>

#include "bench_support.hpp"
#include "herald/herald.hpp"

namespace herald::bench {
namespace {

constexpr std::string_view k_project = "soak-project";
constexpr std::size_t k_triggers = 1'000'000;

// Resident memory of this process, in MB (/proc/self/statm).
double rss_mb() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0;
  std::size_t resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1e6;
}

struct TempFile {
  TempFile()
      : path(std::filesystem::temp_directory_path() /
             ("herald-soak-" + std::to_string(::getpid()) + ".db")) {
    remove();
  }
  ~TempFile() { remove(); }
  void remove() const {
    for (const auto* suffix : {"", "-wal", "-shm", ".lock"}) {
      std::filesystem::remove(path.string() + suffix);
    }
  }
  std::filesystem::path path;
};

// One event, 1000 secrets subscribed to it, a no-op sink.
ScopedConnection prepare(Engine& engine, const std::vector<std::string>& names) {
  const EventSpec spec{"e",
                       {EventType::secret_rotated},
                       EventState::enabled,
                       {"NOOP", "urn:smn:region-1:soak-project:t", "t"}};
  (void)engine.create_event(k_project, spec).value();
  for (const auto& name : names) {
    (void)engine.set_subscriptions(k_project, name, std::vector<std::string>{"e"}).value();
  }
  return engine.connect_sink("NOOP", [](const Notification&) { return SinkOutcome::delivered(); });
}

// A million matched triggers with records on; RSS at 100 000 and at the end, and the trigger
// rate of the first and of the last tenth.
void soak(benchmark::State& state, Engine& engine) {
  const auto names = secret_names(1000);
  const ScopedConnection sink = prepare(engine, names);
  double rss_at_100k = 0;
  double first_tenth_rate = 0;
  double last_tenth_rate = 0;
  for (auto _ : state) {
    auto tenth_started = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < k_triggers; ++i) {
      auto report = engine.trigger(k_project, {names[i % names.size()], EventType::secret_rotated});
      if (!report || report->notifications.size() != 1) {
        state.SkipWithError(report ? "no match" : report.error().message().c_str());
        return;
      }
      if ((i + 1) % (k_triggers / 10) == 0) {
        const auto now = std::chrono::steady_clock::now();
        const double rate = static_cast<double>(k_triggers / 10) /
                            std::chrono::duration<double>(now - tenth_started).count();
        if (i + 1 == k_triggers / 10) first_tenth_rate = rate;
        last_tenth_rate = rate;
        tenth_started = now;
      }
      if (i + 1 == 100'000) rss_at_100k = rss_mb();
    }
  }
  const double rss_end = rss_mb();
  state.counters["rss_mb_at_100k"] = rss_at_100k;
  state.counters["rss_mb_at_1m"] = rss_end;
  state.counters["growth_mb_after_100k"] = rss_end - rss_at_100k;
  state.counters["first_tenth_per_s"] = first_tenth_rate;
  state.counters["last_tenth_per_s"] = last_tenth_rate;
  state.counters["last_over_first"] = last_tenth_rate / first_tenth_rate;
}

// On a SQLite store (90-day retention: every record stays on disk), synchronous delivery.
void BM_soak_sqlite(benchmark::State& state) {
  const TempFile file;
  auto engine = Engine::open(open_sqlite_store(file.path).value(),
                             Options{.max_secrets_per_project = k_unlimited,
                                     .delivery = DeliveryMode::synchronous})
                    .value();
  soak(state, *engine);
}

// Without a store: the in-memory record log at its default bound (100 000).
void BM_soak_memory(benchmark::State& state) {
  Engine engine(Options{.max_secrets_per_project = k_unlimited});
  soak(state, engine);
}

// On the memory store (synchronous delivery).
void BM_soak_memory_store(benchmark::State& state) {
  auto engine = Engine::open(memory_store(), Options{.max_secrets_per_project = k_unlimited,
                                                     .delivery = DeliveryMode::synchronous})
                    .value();
  soak(state, *engine);
}

// A store holding 1 000 000 final records, written directly with SQL (as a long-running
// herald-server leaves it); then what herald-server does at start (open the store, the engine
// and the SMN topics) and the newest page of records.
void BM_restart_with_a_million_records(benchmark::State& state) {
  const TempFile file;
  {
    // The schema and an event, as herald writes them.
    auto engine = Engine::open(open_sqlite_store(file.path).value()).value();
    (void)engine->create_event(k_project,
                               EventSpec{"e",
                                         {EventType::secret_rotated},
                                         EventState::enabled,
                                         {"SMN", "urn:smn:region-1:soak-project:t", "t"}});
  }
  sqlite3* db = nullptr;
  sqlite3_open(file.path.c_str(), &db);
  const auto now_ms = to_epoch_ms(system_clock()->now());
  const std::string insert =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) "
      "INSERT INTO records (notification_id, project_id, event_name, event_id, "
      "trigger_event_type, secret_name, secret_type, version_id, trigger_time, target_type, "
      "target_id, target_name, content, status, reason) SELECT "
      "printf('%08x-0000-4000-8000-%012x', i, i), 'soak-project', 'e', "
      "'bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e', 'SECRET_ROTATED', 'secret-' || (i % 1000), "
      "'COMMON', NULL, " +
      std::to_string(now_ms - 1'000'000) +
      " + i, 'SMN', 'urn:smn:region-1:soak-project:t', 't', "
      "'{\"notification_id\":\"' || i || '\",\"event_name\":\"e\",\"secret_name\":\"secret\"}', "
      "'SUCCESS', '' FROM n";
  char* error = nullptr;
  if (sqlite3_exec(db, insert.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    state.SkipWithError(error != nullptr ? error : "insert failed");
    sqlite3_free(error);
    sqlite3_close(db);
    return;
  }
  sqlite3_close(db);

  double start_seconds = 0;
  double page_seconds = 0;
  std::size_t listed = 0;
  for (auto _ : state) {
    const auto started = std::chrono::steady_clock::now();
    auto store = open_sqlite_store(file.path).value();
    auto engine = Engine::open(store).value();
    auto topics = SmnTopics::open("region-1", store).value();
    const auto opened = std::chrono::steady_clock::now();
    const auto page = engine->list_records(k_project, {}).value();  // the newest 1000
    const auto paged = std::chrono::steady_clock::now();
    start_seconds = std::chrono::duration<double>(opened - started).count();
    page_seconds = std::chrono::duration<double>(paged - opened).count();
    listed = page.items.size();
  }
  state.counters["start_s"] = start_seconds;
  state.counters["newest_page_s"] = page_seconds;
  state.counters["records_listed"] = static_cast<double>(listed);
}

BENCHMARK(BM_soak_sqlite)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_soak_memory)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_soak_memory_store)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_restart_with_a_million_records)
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

}  // namespace
}  // namespace herald::bench

BENCHMARK_MAIN();
