#include "dispatch/finisher.hpp"

#include <fmt/format.h>

#include "herald/metrics.hpp"

namespace herald::detail {

void Finisher::finish(std::shared_ptr<const Notification> notification, SinkVerdict verdict,
                      std::optional<std::uint64_t> record_number) {
  if (Metrics* metrics = options_.metrics.get()) {
    metrics->count_final(notification->target.target_type, verdict.status);
  }
  if (verdict.status == NotificationStatus::fail) {
    failures_.delivery_failed(*notification, verdict.reason);
  }
  if (store_) {
    if (auto r =
            store_->finish_delivery(notification->notification_id, verdict.status, verdict.reason);
        !r) {
      // It stays in the outbox and is made again after a restart: at least once.
      failures_.store_failed(fmt::format("the final status of notification {} was not stored "
                                         "(it is delivered again after a restart)",
                                         notification->notification_id),
                             r.error());
    }
    return;
  }
  if (!options_.keep_records) return;
  if (!record_number) record_number = take_record_number_(notification->project_id);
  const std::string_view project = notification->project_id;  // a view into the notification
  Delivery one[] = {{notification, verdict.status, std::move(verdict.reason)}};
  records_.append(project, one, clock_.now() - options_.record_retention, record_number);
}

}  // namespace herald::detail
