// Engine::open: an engine restored from what a store holds. Every check on stored data is here:
// a value the contract forbids makes the open fail, naming it, and nothing is served from it.
#include <cassert>
#include <chrono>
#include <thread>

#include "engine/engine_impl.hpp"
#include "validate/validate.hpp"

namespace herald {
namespace {

Error damaged(const std::string& what) { return Error{ErrorCode::unavailable, "store: " + what}; }

}  // namespace

// Quotas are not applied to what was stored: a lowered quota must not lose configuration. Names
// are checked by the rules they were stored under (a secret named '.' from before that rule
// still loads).
Result<std::unique_ptr<Engine>> Engine::open(std::shared_ptr<Store> store, Options options,
                                             std::shared_ptr<Clock> clock) {
  assert(store != nullptr);
  auto loaded = store->load();
  if (!loaded) return std::move(loaded).error();
  StoreSnapshot& snapshot = *loaded;
  if (options.delivery == DeliveryMode::automatic) options.delivery = DeliveryMode::asynchronous;
  auto engine = std::make_unique<Engine>(options, std::move(clock));
  Impl& impl = *engine->impl_;
  for (const auto& stored : snapshot.events) {
    if (auto r = validate::project_id(stored.project_id); !r) return damaged(r.error().message());
    if (auto r = impl.project(stored.project_id).restore_event(stored.event); !r) {
      return damaged(r.error().message());
    }
  }
  Options unlimited = impl.options;
  unlimited.max_events_per_secret = SIZE_MAX;
  unlimited.max_secrets_per_project = SIZE_MAX;
  for (const auto& secret : snapshot.secrets) {
    if (auto r = validate::project_id(secret.project_id); !r) return damaged(r.error().message());
    if (auto r = validate::stored_secret_name(secret.secret_name); !r) {
      return damaged(r.error().message());
    }
    auto set = impl.project(secret.project_id)
                   .set_subscriptions(secret.secret_name, secret.event_subscriptions, unlimited);
    if (!set) return damaged("secret " + secret.secret_name + ": " + set.error().message());
  }
  for (const auto& timer : snapshot.timers) {
    if (auto r = validate::project_id(timer.project_id); !r) return damaged(r.error().message());
    if (auto r = validate::stored_secret_name(timer.secret_name); !r) {
      return damaged(r.error().message());
    }
    if (auto r = validate::stored_secret_name(timer.version_id, "version_id"); !r) {
      return damaged(r.error().message());
    }
    impl.project(timer.project_id).ensure_secret(timer.secret_name);
    // A timer that came due while the process was down fires at the next run_due().
    impl.timers.arm(detail::ExpiryTimer{timer.project_id, timer.secret_name, timer.version_id,
                                        timer.expire_time, timer.secret_type});
  }
  // Final records stay in the store (list_records reads them there); what is still in the
  // outbox waits for deliver_pending(), once the host has connected its sinks.
  impl.pending = std::move(snapshot.pending);
  for (auto& change : snapshot.changes) impl.changes[std::move(change.project_id)] = change.change;
  const bool shared = store->shared();
  impl.finisher.use_store(std::move(store));
  if (shared) impl.follower = std::jthread([&impl](std::stop_token stop) { impl.follow(stop); });
  return engine;
}

// Other processes' changes reach memory here: every change number that moved is loaded and
// applied (each project at most once per wake-up), within the wait's timeout when a
// notification was lost. Once the host delivers (deliver_pending), the deliveries of processes
// whose lease ran out are taken over too, every second.
void Engine::Impl::follow(const std::stop_token& stop) {
  using namespace std::chrono_literals;
  Store& shared = *store();
  auto last_takeover = std::chrono::steady_clock::now();
  while (!stop.stop_requested()) {
    auto changed = shared.wait_for_changes(250ms);
    if (!changed) {
      failures.store_failed("cannot follow the other processes' changes", changed.error());
      std::this_thread::sleep_for(250ms);
      continue;
    }
    for (const auto& change : *changed) {
      {
        std::shared_lock lock(mutex);
        if (change.change <= known_change(change.project_id)) continue;
      }
      auto state = shared.load_project(change.project_id);
      if (!state) {
        failures.store_failed("cannot load project " + change.project_id, state.error());
        continue;
      }
      std::unique_lock lock(mutex);
      if (state->change <= known_change(change.project_id)) continue;  // newer here already
      if (auto r = apply(*state); !r) {
        failures.store_failed("cannot apply project " + change.project_id, r.error());
      }
    }
    if (delivering && std::chrono::steady_clock::now() - last_takeover >= 1s) {
      last_takeover = std::chrono::steady_clock::now();
      auto orphans = shared.claim_orphans(k_takeover_batch);
      if (!orphans) {
        failures.store_failed("cannot take over the deliveries of ended processes",
                              orphans.error());
      } else if (!orphans->empty()) {
        (void)dispatcher.deliver_pending(std::move(orphans).value());
      }
    }
  }
}

}  // namespace herald
