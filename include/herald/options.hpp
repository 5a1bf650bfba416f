// herald::Options: every limit and policy of an Engine, as data. Defaults follow the public
// CSMS quotas; each may be overridden (benchmarks raise the quotas, for instance).
//
// Thread-safety: plain values; an Engine copies its Options at construction.
#pragma once

#include <cstddef>

namespace herald {

struct Options {
  /// Most events one project may hold; creating one more is refused with HERALD.1003.
  /// Default: 30, the public quota per account.
  std::size_t max_events_per_project = 30;

  /// Most events one secret may subscribe to; a longer `event_subscriptions` is refused with
  /// HERALD.1003. Default: 1, as the public service allows today.
  std::size_t max_events_per_secret = 1;
};

}  // namespace herald
