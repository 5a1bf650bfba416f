// herald::Engine::Impl: the engine's state, shared by the facade (engine.cpp) and the restore
// from a store (restore.cpp). Internal: never included by a public header.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "dispatch/async_delivery.hpp"
#include "dispatch/dispatcher.hpp"
#include "dispatch/failure_log.hpp"
#include "dispatch/finisher.hpp"
#include "dispatch/sync_delivery.hpp"
#include "engine/striped_shared_mutex.hpp"
#include "herald/engine.hpp"
#include "herald/store.hpp"
#include "records/record_log.hpp"
#include "registry/event_registry.hpp"
#include "schedule/expiry_timers.hpp"
#include "sinks/sink_set.hpp"

namespace herald {

struct Engine::Impl {
  Impl(Options opts, std::shared_ptr<Clock> clk)
      : options(opts),
        clock(std::move(clk)),
        records(options.max_records_in_memory),
        failures(options.log),
        finisher(options, *clock, records, failures,
                 [this](std::string_view project) -> std::optional<std::uint64_t> {
                   std::shared_lock lock(mutex);
                   if (const auto* registry = find_project(project)) {
                     return registry->take_record_sequences(1);
                   }
                   return std::nullopt;
                 }),
        dispatcher(options, sinks, finisher, make_delivery()) {}

  std::unique_ptr<detail::DeliveryPath> make_delivery() {
    if (options.delivery == DeliveryMode::asynchronous) {
      return std::make_unique<detail::AsyncDelivery>(options, clock, sinks, finisher);
    }
    return std::make_unique<detail::SyncDelivery>(sinks, finisher);
  }

  // The project's registry, or null when nothing was ever stored in it (reads see it empty).
  const registry::ProjectRegistry* find_project(std::string_view project_id) const {
    const auto it = projects.find(project_id);
    return it == projects.end() ? nullptr : &it->second;
  }
  registry::ProjectRegistry* find_project(std::string_view project_id) {
    const auto it = projects.find(project_id);
    return it == projects.end() ? nullptr : &it->second;
  }
  // The project's registry, made on first write.
  registry::ProjectRegistry& project(std::string_view project_id) {
    auto it = projects.find(project_id);
    if (it == projects.end()) it = projects.try_emplace(std::string(project_id)).first;
    return it->second;
  }

  // check_store_writable(): the last probe's time and answer.
  std::mutex probe_mutex;
  std::optional<TimePoint> probed_at;
  Result<void> probe_result;

  // Where changes are written through, when the engine was opened on a store.
  [[nodiscard]] Store* store() const noexcept { return finisher.store(); }

  // One change of a project's configuration. With a store that other processes share, the
  // project is locked in the database first and memory caught up with what the database holds,
  // so that every rule (names, quotas, what a subscription names, subscribe racing delete) is
  // decided on the state of all processes; the change commits in commit(), or rolls back when
  // the scope ends without it. With any other store, or none, it does nothing.
  struct ProjectScope {
    std::string project_id;
    std::unique_ptr<ProjectChange> change;
  };
  // Requires: the exclusive lock held.
  Result<ProjectScope> begin(std::string_view project_id) {
    ProjectScope scope{std::string(project_id), nullptr};
    Store* shared = store();
    if (shared == nullptr || !shared->shared()) return scope;
    auto change = shared->begin_change(project_id);
    if (!change) return std::move(change).error();
    scope.change = std::move(change).value();
    if (scope.change->change() != known_change(project_id)) {
      auto state = scope.change->load();
      if (!state) return std::move(state).error();
      if (auto r = apply(*state); !r) return r.error();
    }
    return scope;
  }
  // Requires: the exclusive lock held, the scope's writes made.
  Result<void> commit(ProjectScope& scope) {
    if (!scope.change) return {};
    auto committed = scope.change->commit();
    scope.change.reset();
    if (!committed) return committed.error();
    changes[scope.project_id] = *committed;
    return {};
  }

  // Every change of configuration takes this one path: `change` is made in memory (under the
  // exclusive lock), then `write` stores it (and the scope commits); a write the store refuses
  // runs `undo` and answers the store's error, so memory and store never disagree. A change
  // that failed in memory is answered as it is, and nothing is written.
  template <typename Change, typename Write, typename Undo>
  auto write_through(ProjectScope& scope, Change&& change, Write&& write, Undo&& undo)
      -> std::remove_cvref_t<decltype(change())> {
    auto changed = change();
    if (!changed || store() == nullptr) return changed;
    Result<void> written = write();
    if (written) written = commit(scope);
    if (!written) {
      undo();
      return written.error();
    }
    return changed;
  }

  // The change number of the project this process last saw (shared stores). Requires: a lock.
  [[nodiscard]] std::uint64_t known_change(std::string_view project_id) const {
    const auto it = changes.find(project_id);
    return it == changes.end() ? 0 : it->second;
  }

  // Replaces what memory holds of the project by `state`, as the database holds it. Quotas
  // are not applied (another process decided them). Requires: the exclusive lock held.
  Result<void> apply(const ProjectState& state) {
    // Built in a map node of its own, then put in place whole: the registry does not move (an
    // atomic), a node does.
    decltype(projects) staging;
    auto& fresh = staging.try_emplace(state.project_id).first->second;
    Options unlimited = options;
    unlimited.max_events_per_secret = SIZE_MAX;
    unlimited.max_secrets_per_project = SIZE_MAX;
    for (const auto& event : state.events) {
      if (auto r = fresh.restore_event(event); !r) return r;
    }
    for (const auto& secret : state.secrets) {
      auto set = fresh.set_subscriptions(secret.secret_name, secret.event_subscriptions, unlimited);
      if (!set) {
        return Error{ErrorCode::unavailable, fmt::format("store: secret {}: {}", secret.secret_name,
                                                         set.error().message())};
      }
    }
    for (const auto& timer : state.timers) fresh.ensure_secret(timer.secret_name);
    projects.erase(state.project_id);
    projects.insert(staging.extract(state.project_id));
    timers.drop_project(state.project_id);
    for (const auto& timer : state.timers) {
      timers.arm(detail::ExpiryTimer{timer.project_id, timer.secret_name, timer.version_id,
                                     timer.expire_time, timer.secret_type});
    }
    changes[state.project_id] = state.change;
    return {};
  }

  StoredTimer stored(const detail::ExpiryTimer& t) const {
    return StoredTimer{t.project_id, t.secret_name, t.version_id, t.expire_time, t.secret_type};
  }

  const Options options;
  const std::shared_ptr<Clock> clock;
  // Guards projects and timers; never held while a sink runs. Striped: triggers on several
  // threads take it shared without contending.
  mutable detail::StripedSharedMutex mutex;
  std::map<std::string, registry::ProjectRegistry, std::less<>> projects;
  detail::ExpiryTimers timers;
  detail::SinkSet sinks;
  mutable detail::RecordLog records;
  detail::FailureLog failures;
  detail::Finisher finisher;
  // Deliveries a crash left in the store's outbox, for deliver_pending().
  std::vector<std::shared_ptr<const Notification>> pending;
  // Shared stores: each project's change number as this process last saw it (guarded by
  // mutex).
  std::map<std::string, std::uint64_t, std::less<>> changes;
  // Shared stores: whether the host has connected its sinks (deliver_pending was called), so
  // that deliveries taken over from ended processes can go out.
  std::atomic<bool> delivering{false};
  // The dispatch layer, with its delivery workers.
  detail::Dispatcher dispatcher;

  // Shared stores: follows the other processes' changes and takes over the deliveries of
  // processes that ended. Declared last so that it stops first.
  void follow(const std::stop_token& stop);
  static constexpr std::size_t k_takeover_batch = 256;
  std::jthread follower;
};

}  // namespace herald
