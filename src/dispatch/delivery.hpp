// How a dispatch hands its notifications to the sinks: one interface, two implementations.
// Synchronous delivery calls the sinks on the triggering thread and answers each final status;
// asynchronous delivery (async_delivery.hpp) queues them for worker threads, with retries, and
// answers PENDING. Either way each delivery ends in Finisher::finish, once.
//
// Thread-safety: implementations are safe for concurrent use.
#pragma once

#include <boost/container/small_vector.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "herald/error.hpp"
#include "herald/lifecycle.hpp"
#include "herald/notification.hpp"

namespace herald::detail {

/// The notifications of one trigger: most triggers match a few events, held without allocating.
using Notifications = boost::container::small_vector<std::shared_ptr<const Notification>, 4>;

class DeliveryPath {
 public:
  virtual ~DeliveryPath() = default;
  /// Makes room for `count` deliveries before anything of them is written (so that a full
  /// queue refuses before the outbox holds them, never a silent drop). Errors: unavailable.
  virtual Result<void> reserve(std::size_t count) = 0;
  /// Gives back reserved room that will not be used.
  virtual void release(std::size_t count) = 0;
  /// Delivers `notifications` (reserved before) through the sinks connected at `generation`,
  /// appending one entry per notification to `report`. `first_record` is the project's record
  /// number of the first one, when the caller took them.
  virtual void deliver(Notifications notifications, std::uint64_t generation,
                       std::optional<std::uint64_t> first_record, TriggerReport& report) = 0;
  /// Attempts what is due now on the calling thread (asynchronous delivery without workers);
  /// answers how many attempts were made.
  virtual std::size_t run_due() = 0;
  /// Whether trigger reports answer PENDING (the final status comes later).
  [[nodiscard]] virtual bool deferred() const noexcept = 0;
};

}  // namespace herald::detail
