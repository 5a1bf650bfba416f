// herald::Options: every limit and policy of an Engine, as data. Defaults follow the public
// CSMS quotas; each may be overridden (benchmarks raise the quotas, for instance).
//
// Thread-safety: plain values; an Engine copies its Options at construction.
#pragma once

#include <chrono>
#include <cstddef>

#include "herald/notification.hpp"

namespace herald {

struct Options {
  /// Most events one project may hold; creating one more is refused with HERALD.1003.
  /// Default: 30, the public quota per account.
  std::size_t max_events_per_project = 30;

  /// Most events one secret may subscribe to; a longer `event_subscriptions` is refused with
  /// HERALD.1003. Default: 1, as the public service allows today.
  std::size_t max_events_per_secret = 1;

  /// How long a notification record is kept; a record whose age reaches it is pruned.
  /// Default: 90 days, the public service's three months.
  std::chrono::milliseconds record_retention = std::chrono::days{90};

  /// Whether deliveries are recorded (list_records). Default: true, as the contract keeps every
  /// delivery; a host that keeps its own log (or a benchmark of routing alone) may turn it off.
  bool keep_records = true;

  /// The shape of every message. Default: herald's JSON object (CloudEvents 1.0 is the option
  /// for receivers that speak it).
  MessageFormat message_format = MessageFormat::herald_json;
};

}  // namespace herald
