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

#include "delivery/async_delivery.hpp"
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
      : options(opts), clock(std::move(clk)), records(options.max_records_in_memory) {}

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

  const Options options;
  const std::shared_ptr<Clock> clock;
  // Guards projects and timers; never held while a sink runs. Striped: triggers on several
  // threads take it shared without contending.
  mutable detail::StripedSharedMutex mutex;
  std::map<std::string, registry::ProjectRegistry, std::less<>> projects;
  detail::ExpiryTimers timers;
  detail::SinkSet sinks;
  mutable detail::RecordLog records;
  // Where changes are written through, when the engine was opened on a store. Called under the
  // exclusive lock, after the change in memory succeeded; a refused write undoes that change.
  std::shared_ptr<Store> store;
  // Deliveries a crash left in the store's outbox, for deliver_pending().
  std::vector<std::shared_ptr<Notification>> pending;
  std::atomic<std::uint64_t> store_failures{0};
  // Asynchronous delivery (Options::delivery); declared last so that it stops first.
  std::unique_ptr<detail::AsyncDelivery> async;

  // A store write that failed where no caller can be told: counted and reported.
  void store_failed(std::string_view what, const Error& error) {
    store_failures.fetch_add(1, std::memory_order_relaxed);
    if (options.log) options.log(LogLevel::error, fmt::format("{}: {}", what, error.message()));
  }

  // Where a delivery is finalised, whichever delivery made it (synchronous, asynchronous
  // workers, deliver_pending): its final status is stamped in the store (where its record
  // lives), or, without a store, its record kept in memory under the project's next record
  // number (`sequence` when the caller took it already).
  void finish(std::shared_ptr<Notification> notification, detail::SinkVerdict verdict,
              std::optional<std::uint64_t> sequence = std::nullopt) {
    if (store) {
      if (auto r =
              store->finish_delivery(notification->notification_id, verdict.status, verdict.reason);
          !r) {
        // It stays in the outbox and is made again after a restart: at least once.
        store_failed(fmt::format("the final status of notification {} was not stored (it is "
                                 "delivered again after a restart)",
                                 notification->notification_id),
                     r.error());
      }
    } else if (options.keep_records) {
      const std::string project = notification->project_id;
      if (!sequence) {
        std::shared_lock lock(mutex);
        if (const auto* registry = find_project(project)) {
          sequence = registry->take_record_sequences(1);
        }
      }
      detail::Delivery one[] = {
          {std::move(notification), verdict.status, std::move(verdict.reason)}};
      records.append(project, one, clock->now() - options.record_retention, sequence);
    }
  }

  StoredTimer stored(const detail::ExpiryTimer& t) const {
    return StoredTimer{t.project_id, t.secret_name, t.version_id, t.expire_time, t.secret_type};
  }
};

}  // namespace herald
