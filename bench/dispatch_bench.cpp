// Dispatch: what a trigger costs, against the designs a user would write by hand, measured in
// the same binary under the same random access pattern (bench/bench_support.hpp).
//
// Baselines (BM_baseline_*):
//   floor      std::unordered_map<std::string, std::vector<std::function<void()>>> keyed by
//              secret + type (transparent hash: the composite key is built in a stack buffer)
//   multiindex Boost.MultiIndex hashed_unique on the composite key (secret, type)
//   signals2   a bare boost::signals2::signal per key in the floor's map
//   miss       a bare hash lookup of a secret that is not there
// herald:
//   BM_route_*    herald's route index (one probe keyed by secret, five inline per-type slots)
//                 and a call per match: "routing only"
//   BM_trigger_*  Engine::trigger end to end: validation, lock, route, message, sinks, record
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <new>

#include <algorithm>
#include <atomic>
#include <boost/multi_index/composite_key.hpp>
#include <boost/multi_index/hashed_index.hpp>
#include <boost/multi_index/member.hpp>
#include <boost/multi_index_container.hpp>
#include <boost/signals2/signal.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "bench_support.hpp"
#include "herald/herald.hpp"
#include "registry/event_registry.hpp"

// A counting allocator: every allocation through operator new in this binary counts in its
// thread's counter (plain, thread-local: counting costs no atomic operation in the timed loop).
namespace {
thread_local std::uint64_t t_allocations = 0;
}  // namespace
void* operator new(std::size_t size) {
  ++t_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace herald::bench {
namespace {

constexpr std::string_view k_project = "bench-project";

// The lifecycle types a benchmark cycles through. SECRET_DELETED is left out: after it the secret
// is forgotten, and the secrets would run out during a run.
constexpr std::array<EventType, 4> k_fired_types = {
    EventType::secret_version_created, EventType::secret_version_expired, EventType::secret_rotated,
    EventType::secret_rotated_failed};
EventType fired_type(std::size_t i) { return k_fired_types[i & 3]; }

struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

// "secret-00000042/3": the floor's composite key, built without allocating.
struct CompositeKey {
  std::array<char, 80> buffer;
  std::size_t size;
  CompositeKey(std::string_view secret, int type) {
    std::copy(secret.begin(), secret.end(), buffer.begin());
    buffer[secret.size()] = '/';
    buffer[secret.size() + 1] = static_cast<char>('0' + type);
    size = secret.size() + 2;
  }
  [[nodiscard]] std::string_view view() const { return {buffer.data(), size}; }
};

// ---------------------------------------------------------------- the floor
struct Floor {
  std::unordered_map<std::string, std::vector<std::function<void()>>, TransparentHash,
                     std::equal_to<>>
      routes;
  explicit Floor(const std::vector<std::string>& secrets, std::function<void()> handler) {
    routes.reserve(secrets.size() * 5);
    for (const auto& secret : secrets) {
      for (int type = 0; type < 5; ++type) {
        routes[std::string(CompositeKey(secret, type).view())].push_back(handler);
      }
    }
  }
};

std::atomic<std::uint64_t> g_calls{0};
void no_op_handler() { g_calls.fetch_add(1, std::memory_order_relaxed); }

template <typename Setup>
const Setup& cached(std::size_t secrets) {
  static std::map<std::size_t, std::unique_ptr<Setup>> cache;
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  auto& entry = cache[secrets];
  if (!entry) entry = std::make_unique<Setup>(secrets);
  return *entry;
}

struct FloorSetup {
  explicit FloorSetup(std::size_t n)
      : names(secret_names(n)), order(shuffled_order(n)), floor(names, no_op_handler) {}
  std::vector<std::string> names;
  std::vector<std::uint32_t> order;
  Floor floor;
};

void BM_baseline_floor(benchmark::State& state) {
  const auto& s = cached<FloorSetup>(static_cast<std::size_t>(state.range(0)));
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& secret = s.names[s.order[i++ & (s.order.size() - 1)]];
    const CompositeKey key(secret, static_cast<int>(i % 5));
    const auto it = s.floor.routes.find(key.view());
    if (it != s.floor.routes.end()) {
      for (const auto& handler : it->second) handler();
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_baseline_miss(benchmark::State& state) {
  const auto& s = cached<FloorSetup>(static_cast<std::size_t>(state.range(0)));
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& secret = s.names[s.order[i++ & (s.order.size() - 1)]];
    const CompositeKey key(secret, 7);  // type 7 exists for no secret
    benchmark::DoNotOptimize(s.floor.routes.find(key.view()) == s.floor.routes.end());
  }
  state.SetItemsProcessed(state.iterations());
}

// ---------------------------------------------------------------- Boost.MultiIndex
namespace bmi = boost::multi_index;
struct MiRoute {
  std::string secret;
  int type;
  std::vector<void (*)()> handlers;
};
using MiRoutes = bmi::multi_index_container<
    MiRoute, bmi::indexed_by<bmi::hashed_unique<
                 bmi::composite_key<MiRoute, bmi::member<MiRoute, std::string, &MiRoute::secret>,
                                    bmi::member<MiRoute, int, &MiRoute::type>>,
                 bmi::composite_key_hash<TransparentHash, std::hash<int>>,
                 bmi::composite_key_equal_to<std::equal_to<>, std::equal_to<>>>>>;

struct MultiIndexSetup {
  explicit MultiIndexSetup(std::size_t n) : names(secret_names(n)), order(shuffled_order(n)) {
    routes.reserve(n * 5);
    for (const auto& name : names) {
      for (int type = 0; type < 5; ++type) routes.insert(MiRoute{name, type, {no_op_handler}});
    }
  }
  std::vector<std::string> names;
  std::vector<std::uint32_t> order;
  MiRoutes routes;
};

void BM_baseline_multiindex(benchmark::State& state) {
  const auto& s = cached<MultiIndexSetup>(static_cast<std::size_t>(state.range(0)));
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string_view secret = s.names[s.order[i++ & (s.order.size() - 1)]];
    const auto it = s.routes.find(boost::make_tuple(secret, static_cast<int>(i % 5)));
    if (it != s.routes.end()) {
      for (const auto handler : it->handlers) handler();
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// ---------------------------------------------------------------- a Signals2 signal per key
struct Signals2Setup {
  explicit Signals2Setup(std::size_t n) : names(secret_names(n)), order(shuffled_order(n)) {
    routes.reserve(n * 5);
    for (const auto& name : names) {
      for (int type = 0; type < 5; ++type) {
        routes[std::string(CompositeKey(name, type).view())].connect(no_op_handler);
      }
    }
  }
  std::vector<std::string> names;
  std::vector<std::uint32_t> order;
  std::unordered_map<std::string, boost::signals2::signal<void()>, TransparentHash, std::equal_to<>>
      routes;
};

void BM_baseline_signals2(benchmark::State& state) {
  auto& s =
      const_cast<Signals2Setup&>(cached<Signals2Setup>(static_cast<std::size_t>(state.range(0))));
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& secret = s.names[s.order[i++ & (s.order.size() - 1)]];
    const CompositeKey key(secret, static_cast<int>(i % 5));
    const auto it = s.routes.find(key.view());
    if (it != s.routes.end()) it->second();
  }
  state.SetItemsProcessed(state.iterations());
}

// ---------------------------------------------------------------- herald's route index
struct RouteSetup {
  explicit RouteSetup(std::size_t n) : names(secret_names(n)), order(shuffled_order(n)) {
    Options options;
    options.max_secrets_per_project = k_unlimited;
    const EventSpec spec{"all-types",
                         {k_event_types.begin(), k_event_types.end()},
                         EventState::enabled,
                         {"SMN", "urn:smn:region-1:bench-project:t", "t"}};
    (void)registry.create_event(spec, detail::new_uuid_v4_bytes(), {}, options);
    const std::vector<std::string> subscription = {"all-types"};
    for (const auto& name : names) (void)registry.set_subscriptions(name, subscription, options);
  }
  std::vector<std::string> names;
  std::vector<std::uint32_t> order;
  registry::ProjectRegistry registry;
};

void BM_route(benchmark::State& state) {
  const auto& s = cached<RouteSetup>(static_cast<std::size_t>(state.range(0)));
  void (*handler)() = no_op_handler;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string_view secret = s.names[s.order[i++ & (s.order.size() - 1)]];
    s.registry.for_each_route(secret, static_cast<EventType>(i % 5),
                              [&](const registry::EventRow& event) {
                                benchmark::DoNotOptimize(&event);
                                handler();
                              });
  }
  state.SetItemsProcessed(state.iterations());
}

// As many names of the same shape as there are secrets, none of them subscribed.
const std::vector<std::string>& strangers(std::size_t n) {
  static std::map<std::size_t, std::vector<std::string>> cache;
  auto& names = cache[n];
  if (names.empty()) {
    for (std::size_t k = 0; k < n; ++k) names.push_back("secret-x" + secret_name(k).substr(8));
  }
  return names;
}

void BM_route_miss(benchmark::State& state) {
  const auto& s = cached<RouteSetup>(static_cast<std::size_t>(state.range(0)));
  const auto& missing = strangers(s.names.size());
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string_view secret = missing[s.order[i++ & (s.order.size() - 1)]];
    benchmark::DoNotOptimize(s.registry.for_each_route(secret, EventType::secret_rotated,
                                                       [](const registry::EventRow&) {}));
  }
  state.SetItemsProcessed(state.iterations());
}

// ---------------------------------------------------------------- Engine::trigger
struct EngineSetup {
  EngineSetup(std::size_t n, std::size_t fan_out, bool records)
      : names(secret_names(n)), order(shuffled_order(n)), engine(options_for(fan_out, records)) {
    std::vector<std::string> subscription;
    for (std::size_t e = 0; e < fan_out; ++e) {
      const EventSpec spec{"event-" + std::to_string(e),
                           {k_event_types.begin(), k_event_types.end()},
                           EventState::enabled,
                           {"NOOP", "urn:smn:region-1:bench-project:t", "t"}};
      (void)engine.create_event(k_project, spec).value();
      subscription.push_back(spec.name);
    }
    for (const auto& name : names)
      (void)engine.set_subscriptions(k_project, name, subscription).value();
    sink =
        engine.connect_sink("NOOP", [](const Notification&) { return SinkOutcome::delivered(); });
  }
  static Options options_for(std::size_t fan_out, bool records) {
    Options options;
    options.max_events_per_secret = std::max<std::size_t>(fan_out, 1);
    options.max_events_per_project = 100;
    options.max_secrets_per_project = k_unlimited;
    options.keep_records = records;
    // Steady state: the log holds the last 200 ms of records and each append also prunes as
    // many (as a 90-day log does, at its own pace), so memory does not grow through the run.
    options.record_retention = std::chrono::milliseconds(200);
    return options;
  }
  std::vector<std::string> names;
  std::vector<std::uint32_t> order;
  Engine engine;
  ScopedConnection sink;
};

const EngineSetup& engine_setup(std::size_t secrets, std::size_t fan_out, bool records) {
  static std::map<std::tuple<std::size_t, std::size_t, bool>, std::unique_ptr<EngineSetup>> cache;
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  auto& entry = cache[{secrets, fan_out, records}];
  if (!entry) entry = std::make_unique<EngineSetup>(secrets, fan_out, records);
  return *entry;
}

// args: secrets, fan-out (matched events), records (0/1)
void BM_trigger(benchmark::State& state) {
  auto& s = const_cast<EngineSetup&>(engine_setup(static_cast<std::size_t>(state.range(0)),
                                                  static_cast<std::size_t>(state.range(1)),
                                                  state.range(2) != 0));
  std::size_t i = 0;
  std::size_t delivered = 0;
  const std::uint64_t allocations_before = t_allocations;
  for (auto _ : state) {
    const std::string_view secret = s.names[s.order[i++ & (s.order.size() - 1)]];
    auto report = s.engine.trigger(k_project, {secret, fired_type(i)});
    if (!report) {
      state.SkipWithError(report.error().message().c_str());
      break;
    }
    delivered += report->notifications.size();
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["allocations_per_trigger"] =
      static_cast<double>(t_allocations - allocations_before) /
      static_cast<double>(state.iterations());
  state.counters["matches_per_trigger"] =
      static_cast<double>(delivered) / static_cast<double>(state.iterations());
  state.counters["notifications_per_second"] = benchmark::Counter(
      static_cast<double>(state.iterations() * static_cast<std::size_t>(state.range(1))),
      benchmark::Counter::kIsRate);
}

void BM_trigger_miss(benchmark::State& state) {
  auto& s =
      const_cast<EngineSetup&>(engine_setup(static_cast<std::size_t>(state.range(0)), 1, true));
  const auto& missing = strangers(s.names.size());
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string_view secret = missing[s.order[i++ & (s.order.size() - 1)]];
    auto report = s.engine.trigger(k_project, {secret, EventType::secret_rotated});
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(state.iterations());
}

// The SMN stand-in instead of the no-op sink. The stand-in keeps every message it published
// (for inspection), so this also measures that memory growing.
void BM_trigger_smn(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto names = secret_names(n);
  const auto order = shuffled_order(n);
  Options options;
  options.keep_records = true;
  options.max_secrets_per_project = k_unlimited;
  options.record_retention = std::chrono::milliseconds(200);
  Engine engine(options);
  auto topics = std::make_shared<SmnTopics>("region-1");
  const ScopedConnection sink = engine.connect_sink("SMN", smn_sink(topics));
  const auto urn = topics->create_topic(k_project, "t").value().topic.topic_urn;
  (void)engine.create_event(k_project, EventSpec{"e",
                                                 {k_event_types.begin(), k_event_types.end()},
                                                 EventState::enabled,
                                                 {"SMN", urn, "t"}});
  const std::vector<std::string> subscription = {"e"};
  for (const auto& name : names) (void)engine.set_subscriptions(k_project, name, subscription);
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string_view secret = names[order[i++ & (order.size() - 1)]];
    auto report = engine.trigger(k_project, {secret, fired_type(i)});
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(state.iterations());
}

// Two trigger threads while a writer changes events and subscriptions every millisecond.
void BM_trigger_threads(benchmark::State& state) {
  auto& s = const_cast<EngineSetup&>(engine_setup(100'000, 1, state.range(0) != 0));
  static std::atomic<bool> writer_running{false};
  static std::thread writer;
  if (state.thread_index() == 0) {
    writer_running = true;
    writer = std::thread([&s] {
      std::size_t k = 0;
      const std::vector<std::string> subscription = {"event-0"};
      while (writer_running.load(std::memory_order_relaxed)) {
        EventPatch patch;
        patch.state = EventState::enabled;
        (void)s.engine.update_event(k_project, "event-0", patch);
        (void)s.engine.set_subscriptions(k_project, s.names[k++ % s.names.size()], subscription);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    const std::string_view secret = s.names[s.order[i++ & (s.order.size() - 1)]];
    auto report = s.engine.trigger(k_project, {secret, fired_type(i)});
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    writer_running = false;
    writer.join();
  }
}

// Trigger latency while a thread lists records over and over with a filter that matches nothing
// (a full scan of 100 000 records each time). arg: 0 no lister (the baseline), 1 the lister reads
// another project, 2 it reads the triggering project itself. Counters: p50 and p99 in µs.
void BM_trigger_while_listing(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  Options options;
  options.record_retention = std::chrono::hours(1);
  Engine engine(options);
  const ScopedConnection sink =
      engine.connect_sink("NOOP", [](const Notification&) { return SinkOutcome::delivered(); });
  const std::string listed = "listed-project";
  const std::string triggering = mode == 2 ? listed : "triggering-project";
  for (const auto& project : {listed, triggering}) {
    (void)engine.create_event(project, EventSpec{"e",
                                                 {k_event_types.begin(), k_event_types.end()},
                                                 EventState::enabled,
                                                 {"NOOP", "urn:smn:region-1:p:t", "t"}});
    (void)engine.set_subscriptions(project, "db", std::vector<std::string>{"e"});
  }
  for (int i = 0; i < 100'000; ++i) (void)engine.trigger(listed, {"db", EventType::secret_rotated});

  std::atomic<bool> listing{mode != 0};
  std::thread lister([&] {
    RecordQuery nothing;
    nothing.secret_name = "nobody";
    while (listing.load(std::memory_order_relaxed)) {
      benchmark::DoNotOptimize(engine.list_records(listed, nothing));
    }
  });
  std::vector<double> micros;
  micros.reserve(1 << 20);
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto report = engine.trigger(triggering, {"db", EventType::secret_rotated});
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
    benchmark::DoNotOptimize(report);
  }
  listing = false;
  lister.join();
  std::sort(micros.begin(), micros.end());
  const auto at = [&](double q) {
    return micros[static_cast<std::size_t>(q * static_cast<double>(micros.size() - 1))];
  };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
  state.SetItemsProcessed(state.iterations());
}

constexpr std::int64_t k_sizes[] = {1'000, 100'000, 1'000'000};

void sizes(benchmark::internal::Benchmark* b) {
  for (const auto n : k_sizes) b->Arg(n);
}

BENCHMARK(BM_baseline_floor)->Apply(sizes);
BENCHMARK(BM_baseline_multiindex)->Apply(sizes);
BENCHMARK(BM_baseline_signals2)->Apply(sizes);
BENCHMARK(BM_baseline_miss)->Apply(sizes);
BENCHMARK(BM_route)->Apply(sizes);
BENCHMARK(BM_route_miss)->Apply(sizes);
BENCHMARK(BM_trigger)
    ->ArgNames({"secrets", "fanout", "records"})
    ->Args({1'000, 1, 1})
    ->Args({100'000, 1, 1})
    ->Args({1'000'000, 1, 1})
    ->Args({1'000, 1, 0})
    ->Args({100'000, 1, 0})
    ->Args({1'000'000, 1, 0})
    ->Args({100'000, 4, 1})
    ->Args({100'000, 12, 1});
BENCHMARK(BM_trigger_miss)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_trigger_while_listing)
    ->ArgName("lister")
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Iterations(200'000);
BENCHMARK(BM_trigger_smn)->Arg(100'000);
// Scaling is the noisiest figure on a shared 2-core machine: the median of three runs.
BENCHMARK(BM_trigger_threads)
    ->ArgName("records")
    ->Arg(1)
    ->Arg(0)
    ->ThreadRange(1, 2)
    ->UseRealTime()
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);

}  // namespace
}  // namespace herald::bench

BENCHMARK_MAIN();
