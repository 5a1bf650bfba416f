// Synchronous delivery (a DeliveryPath): the sinks run on the triggering thread, and each
// final status is in the trigger's report.
#pragma once

#include "dispatch/delivery.hpp"
#include "dispatch/finisher.hpp"
#include "herald/metrics.hpp"
#include "sinks/sink_set.hpp"

namespace herald::detail {

class SyncDelivery final : public DeliveryPath {
 public:
  SyncDelivery(const SinkSet& sinks, Finisher& finisher) : sinks_(sinks), finisher_(finisher) {}

  Result<void> reserve(std::size_t) override { return {}; }
  void release(std::size_t) override {}
  void deliver(Notifications notifications, std::uint64_t generation,
               std::optional<std::uint64_t> first_record, TriggerReport& report) override {
    for (std::size_t i = 0; i < notifications.size(); ++i) {
      auto& n = notifications[i];
      if (Metrics* metrics = finisher_.metrics()) metrics->count_attempt();
      auto verdict = sinks_.deliver(*n, generation);
      report.notifications.push_back(
          DeliveryReport{n->event_name, n->notification_id, verdict.status,
                         verdict.reason.empty() ? std::string() : verdict.reason, n});
      finisher_.finish(
          std::move(n), std::move(verdict),
          first_record ? std::optional<std::uint64_t>(*first_record + i) : std::nullopt);
    }
  }
  std::size_t run_due() override { return 0; }
  [[nodiscard]] bool deferred() const noexcept override { return false; }

 private:
  const SinkSet& sinks_;
  Finisher& finisher_;
};

}  // namespace herald::detail
