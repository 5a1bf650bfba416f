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

  // Every change of configuration takes this one path: `change` is made in memory (under the
  // exclusive lock), then `write` stores it; a write the store refuses runs `undo` and answers
  // the store's error, so memory and store never disagree. A change that failed in memory is
  // answered as it is, and nothing is written.
  template <typename Change, typename Write, typename Undo>
  auto write_through(Change&& change, Write&& write, Undo&& undo)
      -> std::remove_cvref_t<decltype(change())> {
    auto changed = change();
    if (!changed || store() == nullptr) return changed;
    if (Result<void> written = write(); !written) {
      undo();
      return written.error();
    }
    return changed;
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
  // The dispatch layer, with its delivery workers; declared last so that it stops first.
  detail::Dispatcher dispatcher;
};

}  // namespace herald
