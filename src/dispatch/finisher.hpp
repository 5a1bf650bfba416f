// Where a delivery is finalised, whichever delivery made it (synchronous, asynchronous workers,
// deliver_pending): its final status is stamped in the store, where its record lives, or,
// without a store, its record is kept in the bounded in-memory log under the project's next
// record number. Nothing else writes a final status.
//
// Thread-safety: safe for concurrent use; called without any engine lock held.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "dispatch/failure_log.hpp"
#include "herald/clock.hpp"
#include "herald/notification.hpp"
#include "herald/options.hpp"
#include "herald/store.hpp"
#include "records/record_log.hpp"
#include "sinks/sink_set.hpp"

namespace herald::detail {

class Finisher {
 public:
  /// Hands out the project's next record number (under the engine's lock), or nullopt for a
  /// project the engine no longer knows.
  using TakeRecordNumber = std::function<std::optional<std::uint64_t>(std::string_view project)>;

  Finisher(const Options& options, const Clock& clock, RecordLog& records, FailureLog& failures,
           TakeRecordNumber take_record_number)
      : options_(options),
        clock_(clock),
        records_(records),
        failures_(failures),
        take_record_number_(std::move(take_record_number)) {}

  /// The store final statuses go to; set once, before the first delivery.
  void use_store(std::shared_ptr<Store> store) { store_ = std::move(store); }
  [[nodiscard]] Store* store() const noexcept { return store_.get(); }
  /// Where deliveries are counted, or null.
  [[nodiscard]] Metrics* metrics() const noexcept { return options_.metrics.get(); }

  /// The delivery of `notification` ended with `verdict`. `record_number`: the project's record
  /// number, when the caller took it already (a synchronous trigger takes its numbers with its
  /// matches).
  void finish(std::shared_ptr<const Notification> notification, SinkVerdict verdict,
              std::optional<std::uint64_t> record_number = std::nullopt);

 private:
  const Options& options_;
  const Clock& clock_;
  RecordLog& records_;
  FailureLog& failures_;
  const TakeRecordNumber take_record_number_;
  std::shared_ptr<Store> store_;
};

}  // namespace herald::detail
