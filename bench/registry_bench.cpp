// The registry: what each CSMS operation costs at 1e3 and 1e5 events, and how much memory an
// event and a (secret, type) route take at 1e6 (mallinfo2 deltas, reported as counters).
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <mutex>

#include "bench_support.hpp"
#include "herald/herald.hpp"

namespace herald::bench {
namespace {

constexpr std::string_view k_project = "bench-project";

std::string event_name(std::size_t i) { return "event-" + secret_name(i).substr(7); }

// Each event has a topic of its own (no sharing flatters the memory figures).
EventSpec spec_for(std::string name) {
  std::string urn = "urn:smn:region-1:bench-project:" + name + "-notices";
  return EventSpec{std::move(name),
                   {EventType::secret_rotated, EventType::secret_version_created},
                   EventState::enabled,
                   {"SMN", std::move(urn), "rotation-notices"}};
}

Options roomy() {
  Options options;
  options.max_events_per_project = 2'000'000;
  options.max_events_per_secret = 12;
  options.max_secrets_per_project = k_unlimited;
  return options;
}

// An engine holding `n` events and 1e5 secrets subscribed to them round-robin.
struct Populated {
  explicit Populated(std::size_t n)
      : engine(roomy(), std::make_shared<ManualClock>()), order(shuffled_order(n)) {
    for (std::size_t i = 0; i < n; ++i) {
      names.push_back(event_name(i));
      (void)engine.create_event(k_project, spec_for(names.back())).value();
    }
    for (std::size_t i = 0; i < 100'000; ++i) {
      const std::vector<std::string> one = {names[i % n]};
      secrets.push_back(secret_name(i));
      (void)engine.set_subscriptions(k_project, secrets.back(), one).value();
    }
  }
  Engine engine;
  std::vector<std::string> names;
  std::vector<std::string> secrets;
  std::vector<std::uint32_t> order;
};

Populated& populated(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<Populated>> cache;
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  auto& entry = cache[n];
  if (!entry) entry = std::make_unique<Populated>(n);
  return *entry;
}

void BM_create_delete_event(benchmark::State& state) {
  auto& p = populated(static_cast<std::size_t>(state.range(0)));
  const auto spec = spec_for("fresh-event");
  for (auto _ : state) {
    benchmark::DoNotOptimize(p.engine.create_event(k_project, spec));
    benchmark::DoNotOptimize(p.engine.delete_event(k_project, spec.name));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_update_event(benchmark::State& state) {
  auto& p = populated(static_cast<std::size_t>(state.range(0)));
  std::size_t i = 0;
  EventPatch patch;
  patch.state = EventState::enabled;
  for (auto _ : state) {
    const auto& name = p.names[p.order[i++ & (p.order.size() - 1)]];
    benchmark::DoNotOptimize(p.engine.update_event(k_project, name, patch));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_subscribe(benchmark::State& state) {
  auto& p = populated(static_cast<std::size_t>(state.range(0)));
  std::size_t i = 0;
  std::vector<std::string> one(1);
  for (auto _ : state) {
    one[0] = p.names[p.order[i & (p.order.size() - 1)]];
    const auto& secret = p.secrets[(i++ * 7919) % p.secrets.size()];
    benchmark::DoNotOptimize(p.engine.set_subscriptions(k_project, secret, one));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_show_event(benchmark::State& state) {
  auto& p = populated(static_cast<std::size_t>(state.range(0)));
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& name = p.names[p.order[i++ & (p.order.size() - 1)]];
    benchmark::DoNotOptimize(p.engine.show_event(k_project, name));
  }
  state.SetItemsProcessed(state.iterations());
}

// args: events, limit
void BM_list_events(benchmark::State& state) {
  auto& p = populated(static_cast<std::size_t>(state.range(0)));
  const auto limit = static_cast<std::size_t>(state.range(1));
  std::size_t i = 0;
  for (auto _ : state) {
    PageQuery query{limit, p.names[p.order[i++ & (p.order.size() - 1)] / 2]};
    benchmark::DoNotOptimize(p.engine.list_events(k_project, query));
  }
  state.SetItemsProcessed(state.iterations());
}

// Memory: bytes the allocator holds per event, with 1e6 events in one project.
void BM_memory_per_event(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    const auto before = allocated_bytes();
    auto engine = std::make_unique<Engine>(roomy(), std::make_shared<ManualClock>());
    for (std::size_t i = 0; i < n; ++i)
      (void)engine->create_event(k_project, spec_for(event_name(i)));
    const auto after = allocated_bytes();
    state.counters["bytes_per_event"] =
        static_cast<double>(after - before) / static_cast<double>(n);
  }
}

// Memory: bytes per (secret, type) route, with 1e6 secrets each subscribed to one event that
// lists all five types (the registry's secret map, subscription rows and route index).
void BM_memory_per_route(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    auto engine = std::make_unique<Engine>(roomy(), std::make_shared<ManualClock>());
    (void)engine->create_event(k_project, EventSpec{"all-types",
                                                    {k_event_types.begin(), k_event_types.end()},
                                                    EventState::enabled,
                                                    {"SMN", "urn:smn:region-1:p:t", "t"}});
    const std::vector<std::string> one = {"all-types"};
    const auto names = secret_names(n);
    const auto before = allocated_bytes();
    for (const auto& name : names) (void)engine->set_subscriptions(k_project, name, one);
    const auto after = allocated_bytes();
    const double bytes = static_cast<double>(after - before);
    state.counters["bytes_per_secret"] = bytes / static_cast<double>(n);
    state.counters["bytes_per_route"] = bytes / static_cast<double>(n * k_event_type_count);
  }
}

BENCHMARK(BM_create_delete_event)->Arg(1'000)->Arg(100'000);
BENCHMARK(BM_update_event)->Arg(1'000)->Arg(100'000);
BENCHMARK(BM_subscribe)->Arg(1'000)->Arg(100'000);
BENCHMARK(BM_show_event)->Arg(1'000)->Arg(100'000);
BENCHMARK(BM_list_events)
    ->ArgNames({"events", "limit"})
    ->ArgsProduct({{1'000, 100'000}, {50, 1000}});
BENCHMARK(BM_memory_per_event)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_memory_per_route)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace herald::bench

BENCHMARK_MAIN();
