// The one translation unit that includes Boost.Signals2.
#include "sinks/sink_set.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/signals2/signal.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <vector>

namespace herald {
namespace detail {

namespace {

// Threads are spread over a few stripes (chosen once per thread), so that calls from different
// threads count themselves in different cache lines.
constexpr std::size_t k_stripes = 8;
std::size_t my_stripe() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t stripe = next.fetch_add(1, std::memory_order_relaxed) % k_stripes;
  return stripe;
}

struct alignas(64) InFlight {
  std::atomic<int> count{0};
};

}  // namespace

struct TypeSinks;

struct SinkSlot {
  SinkSlot(SinkFunction f, std::uint64_t g) : function(std::move(f)), generation(g) {}

  // Reset by disconnect() once no other thread is inside it (what it captures is released).
  SinkFunction function;
  const std::uint64_t generation;  // connected at this generation
  std::weak_ptr<TypeSinks> owner;  // the target type's sinks, to drop this slot from
  std::atomic<bool> connected{true};
  std::array<InFlight, k_stripes> in_flight;  // calls under way, per stripe of threads
  std::mutex connection_mutex;
  boost::signals2::connection connection;  // guarded by connection_mutex
};

namespace {

// The slots whose sink runs on this thread right now, innermost last.
thread_local std::vector<const SinkSlot*> t_calling;

// What one slot answered; `called` is false when the guard skipped it.
struct SlotResult {
  bool called = false;
  SinkOutcome outcome;
};

std::optional<SinkOutcome> call_guarded(SinkSlot& slot, const Notification& notification,
                                        std::uint64_t generation) {
  if (slot.generation > generation) return std::nullopt;
  // Dekker-style with disconnect(): increment, then look; disconnect stores, then counts.
  std::atomic<int>& in_flight = slot.in_flight[my_stripe()].count;
  in_flight.fetch_add(1, std::memory_order_seq_cst);
  // A disconnect() waiting for this call is woken; none waits unless the slot was disconnected
  // (it stores `connected` false before it looks at the count, and all four are seq_cst).
  const auto leave = [&] {
    in_flight.fetch_sub(1, std::memory_order_seq_cst);
    if (!slot.connected.load(std::memory_order_seq_cst)) in_flight.notify_all();
  };
  if (!slot.connected.load(std::memory_order_seq_cst)) {
    leave();
    return std::nullopt;
  }
  t_calling.push_back(&slot);
  SinkOutcome outcome;
  try {
    outcome = slot.function(notification);
  } catch (const std::exception& error) {
    outcome = SinkOutcome::failed(std::string("sink threw: ") + error.what());
  } catch (...) {
    outcome = SinkOutcome::failed("sink threw a non-standard exception");
  }
  t_calling.pop_back();
  leave();
  return outcome;
}

// Worst status wins: INVALID over FAIL over SUCCESS; the first reason of the worst is kept.
struct VerdictCombiner {
  using result_type = std::pair<std::size_t, SinkVerdict>;  // (sinks called, verdict)

  // INVALID over FAIL over unavailable over SUCCESS.
  static int rank(NotificationStatus s, bool unavailable) {
    return s == NotificationStatus::invalid ? 3
           : s == NotificationStatus::fail  ? (unavailable ? 1 : 2)
                                            : 0;
  }
  void add(result_type& combined, const SinkOutcome& outcome) const {
    ++combined.first;
    const bool unavailable = outcome.status == SinkStatus::unavailable;
    const auto status = outcome.status == SinkStatus::delivered        ? NotificationStatus::success
                        : outcome.status == SinkStatus::invalid_target ? NotificationStatus::invalid
                                                                       : NotificationStatus::fail;
    if (rank(status, unavailable) > rank(combined.second.status, combined.second.unavailable)) {
      combined.second = {status, outcome.reason, unavailable};
    }
  }

  // The Signals2 combiner interface (SinkSet::deliver_through_signal).
  template <typename Iterator>
  result_type operator()(Iterator first, Iterator last) const {
    result_type combined{0, {}};
    for (; first != last; ++first) {
      const SlotResult& result = *first;
      if (result.called) add(combined, result.outcome);
    }
    return combined;
  }
};

using Signal =
    boost::signals2::signal<SlotResult(const Notification&, std::uint64_t), VerdictCombiner>;

using Snapshot = std::vector<std::shared_ptr<SinkSlot>>;

}  // namespace

// The sinks of one target type. The Signals2 signal owns the connections (connect, disconnect,
// the slot list); dispatch reads `snapshot`, an immutable copy of the connected slots in
// connection order, replaced (copy on write) at every connect and disconnect: calling through
// the signal itself costs ~80 ns a dispatch (BM_baseline_signals2), more than herald's whole
// budget for a trigger at small sizes.
struct TypeSinks {
  Signal signal;
  std::mutex mutex;  // guards snapshot
  std::shared_ptr<const Snapshot> snapshot = std::make_shared<const Snapshot>();
  std::atomic<std::uint64_t>* version = nullptr;  // the set's; bumped at every replacement

  void add(std::shared_ptr<SinkSlot> slot) {
    std::lock_guard lock(mutex);
    auto next = std::make_shared<Snapshot>(*snapshot);
    next->push_back(std::move(slot));
    snapshot = std::move(next);
    version->fetch_add(1, std::memory_order_acq_rel);
  }
  void remove(const SinkSlot* slot) {
    std::lock_guard lock(mutex);
    auto next = std::make_shared<Snapshot>(*snapshot);
    std::erase_if(*next, [&](const auto& s) { return s.get() == slot; });
    snapshot = std::move(next);
    version->fetch_add(1, std::memory_order_acq_rel);
  }
};

struct SinkSet::Impl {
  // Which SinkSet a thread's cached lookups belong to: never reused, unlike an address.
  const std::uint64_t id = [] {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }();
  std::atomic<std::uint64_t> generation{0};
  // Grows when a target type gets its first sink, and at every connect and disconnect.
  std::atomic<std::uint64_t> version{0};
  mutable std::shared_mutex mutex;  // guards the map, never held while a sink runs
  std::map<std::string, std::shared_ptr<TypeSinks>, std::less<>> types;

  // The slots of `target_type` connected now (possibly none). A per-thread cache answers without
  // touching shared memory but the version; it is refreshed when any sink came or went since.
  // What the cache keeps of a disconnected sink is its slot, never its function.
  std::shared_ptr<const Snapshot> find(std::string_view target_type) const {
    struct Cached {
      std::uint64_t set_id = 0;
      std::uint64_t version = 0;
      std::string target_type;
      std::shared_ptr<const Snapshot> slots;
    };
    thread_local std::array<Cached, 4> cache;
    thread_local std::size_t next_victim = 0;
    const auto now = version.load(std::memory_order_acquire);
    for (auto& entry : cache) {
      if (entry.set_id == id && entry.target_type == target_type) {
        if (entry.version == now) return entry.slots;
        entry.slots = lookup(target_type);
        entry.version = now;
        return entry.slots;
      }
    }
    auto slots = lookup(target_type);
    cache[next_victim++ % cache.size()] = Cached{id, now, std::string(target_type), slots};
    return slots;
  }

  std::shared_ptr<const Snapshot> lookup(std::string_view target_type) const {
    std::shared_lock lock(mutex);
    const auto it = types.find(target_type);
    if (it == types.end()) return nullptr;
    std::lock_guard snapshot_lock(it->second->mutex);
    return it->second->snapshot;
  }
};

SinkSet::SinkSet() : impl_(std::make_unique<Impl>()) {}

SinkSet::~SinkSet() {
  // Release every sink (and what it captures) now, as the Engine promises: a thread's cache may
  // keep a slot a little longer, never its function.
  for (auto& [type, sinks] : impl_->types) {
    sinks->signal.disconnect_all_slots();
    for (const auto& slot : *sinks->snapshot) {
      slot->connected.store(false, std::memory_order_seq_cst);
      slot->function = nullptr;
    }
  }
}

std::uint64_t SinkSet::generation() const noexcept {
  return impl_->generation.load(std::memory_order_acquire);
}

Connection SinkSet::connect(std::string_view target_type, SinkFunction sink) {
  std::shared_ptr<TypeSinks> sinks;
  {
    std::unique_lock lock(impl_->mutex);
    auto& entry = impl_->types[std::string(target_type)];
    if (!entry) {
      entry = std::make_shared<TypeSinks>();
      entry->version = &impl_->version;
      impl_->version.fetch_add(1, std::memory_order_release);
    }
    sinks = entry;
  }
  // The new slot belongs to the next generation: dispatches already running have a lower one.
  const auto generation = impl_->generation.fetch_add(1, std::memory_order_acq_rel) + 1;
  auto slot = std::make_shared<SinkSlot>(std::move(sink), generation);
  slot->owner = sinks;
  std::lock_guard guard(slot->connection_mutex);
  // The signal's slot keeps the SinkSlot (and so the sink) alive until it is disconnected; a
  // boost::signals2::connection refers back only weakly, so there is no cycle.
  slot->connection = sinks->signal.connect(
      [slot](const Notification& notification, std::uint64_t dispatch_generation) {
        const auto outcome = call_guarded(*slot, notification, dispatch_generation);
        return outcome ? SlotResult{true, *outcome} : SlotResult{};
      });
  sinks->add(slot);
  return Connection(slot);
}

SinkVerdict SinkSet::deliver(const Notification& notification, std::uint64_t generation) const {
  const auto slots = impl_->find(notification.target.target_type);
  std::pair<std::size_t, SinkVerdict> combined{0, {}};
  if (slots) {
    const VerdictCombiner combiner;
    for (const auto& slot : *slots) {
      if (auto outcome = call_guarded(*slot, notification, generation)) {
        combiner.add(combined, *outcome);
      }
    }
  }
  if (combined.first == 0) {
    return {NotificationStatus::invalid,
            fmt::format("no sink serves target_type {}", notification.target.target_type)};
  }
  return combined.second;
}

}  // namespace detail

Connection::Connection(std::shared_ptr<detail::SinkSlot> slot) : slot_(std::move(slot)) {}

void Connection::disconnect() const {
  if (!slot_) return;
  detail::SinkSlot& slot = *slot_;
  const bool was_connected = slot.connected.exchange(false, std::memory_order_seq_cst);
  {
    std::lock_guard guard(slot.connection_mutex);
    slot.connection.disconnect();
  }
  if (was_connected) {
    if (auto owner = slot.owner.lock()) owner->remove(&slot);
  }
  // Wait for calls on other threads; calls of this sink further up this thread's stack (the
  // sink disconnecting itself) cannot finish before we return, so they are not waited for.
  // This thread's own calls all count in its stripe.
  const auto own =
      static_cast<int>(std::count(detail::t_calling.begin(), detail::t_calling.end(), &slot));
  for (std::size_t stripe = 0; stripe < slot.in_flight.size(); ++stripe) {
    std::atomic<int>& in_flight = slot.in_flight[stripe].count;
    const int mine = stripe == detail::my_stripe() ? own : 0;
    for (int seen = in_flight.load(std::memory_order_seq_cst); seen > mine;
         seen = in_flight.load(std::memory_order_seq_cst)) {
      in_flight.wait(seen, std::memory_order_seq_cst);
    }
  }
  // No other thread is inside the sink, and none will enter it: what it captures is released
  // now (unless this thread is inside it, disconnecting itself).
  if (was_connected && own == 0) slot.function = nullptr;
}

bool Connection::connected() const {
  return slot_ && slot_->connected.load(std::memory_order_acquire);
}

SinkFunction callback_sink(std::function<void(const Notification&)> callback) {
  return [callback = std::move(callback)](const Notification& notification) {
    callback(notification);
    return SinkOutcome::delivered();
  };
}

}  // namespace herald
