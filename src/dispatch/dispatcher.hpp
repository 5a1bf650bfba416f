// The dispatch layer: what one trigger does once its matches are known, written once.
//
//   match (the engine, under its shared lock: one notification per enabled event that fires,
//   made here, one allocation each) → outbox (with a store, every notification is durable
//   before any sink runs) → delivery (a DeliveryPath: synchronous or asynchronous) → final
//   status (Finisher::finish, the one place a delivery ends).
//
// Thread-safety: safe for concurrent use; no lock of the engine is held while it runs (except
// make(), which only reads the row it is given).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "dispatch/delivery.hpp"
#include "dispatch/failure_log.hpp"
#include "dispatch/finisher.hpp"
#include "herald/lifecycle.hpp"
#include "herald/options.hpp"
#include "registry/event_registry.hpp"
#include "sinks/sink_set.hpp"

namespace herald::detail {

class Dispatcher {
 public:
  /// `delivery` is the engine's DeliveryPath; `finisher` ends what it delivers.
  Dispatcher(const Options& options, const SinkSet& sinks, Finisher& finisher,
             std::unique_ptr<DeliveryPath> delivery)
      : options_(options), sinks_(sinks), finisher_(finisher), delivery_(std::move(delivery)) {}

  /// The notification `row` sends for `event` (a new notification id), in one allocation.
  [[nodiscard]] std::shared_ptr<const Notification> make(std::string_view project_id,
                                                         const LifecycleEvent& event,
                                                         const registry::EventRow& row,
                                                         TimePoint now) const;

  /// Sends what one trigger matched: outbox, then delivery. `first_record`: the project's record
  /// number of the first notification, when the caller took them. Errors: unavailable (the
  /// delivery queue is full, or the store refused the outbox; nothing was sent or half-written).
  Result<TriggerReport> send(Notifications notifications, TimePoint now, std::uint64_t generation,
                             std::optional<std::uint64_t> first_record);

  /// Delivers what a crash left in the outbox, on the calling thread; answers how many.
  std::size_t deliver_pending(std::vector<std::shared_ptr<const Notification>> pending);

  /// Whether the engine takes record numbers with the matches (synchronous, without a store).
  [[nodiscard]] bool numbers_records_at_match() const noexcept {
    return options_.keep_records && !delivery_->deferred() && finisher_.store() == nullptr;
  }

  [[nodiscard]] DeliveryPath& delivery() noexcept { return *delivery_; }

 private:
  const Options& options_;
  const SinkSet& sinks_;
  Finisher& finisher_;
  const std::unique_ptr<DeliveryPath> delivery_;
};

}  // namespace herald::detail
