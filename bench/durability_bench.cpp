// Durable triggers: Engine::trigger on an engine opened on a SQLite store (WAL), so that each
// trigger's record and delivery are written before its sink runs and stamped after. Baseline in
// the same binary: the same trigger on an engine without a store.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>

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
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - first).count();
  state.SetItemsProcessed(state.iterations());
  if (stretches.empty()) return;
  const double average = static_cast<double>(i) / total;
  const double slowest = static_cast<double>(k_stretch) /
                         *std::max_element(stretches.begin(), stretches.end());
  state.counters["stretches"] = static_cast<double>(stretches.size());
  state.counters["average_per_second"] = average;
  state.counters["slowest_stretch_per_second"] = slowest;
  state.counters["slowest_over_average"] = slowest / average;
}

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
