// herald::Options: every limit and policy of an Engine, as data. Defaults follow the public
// CSMS quotas; each may be overridden (benchmarks raise the quotas, for instance).
//
// Thread-safety: plain values; an Engine copies its Options at construction.
#pragma once

#include "herald/export.hpp"

#include <chrono>
#include <cstddef>
#include <memory>

#include "herald/log.hpp"
#include "herald/notification.hpp"

namespace herald {

class Metrics;

/// How deliveries are made.
enum class DeliveryMode {
  /// Synchronous for an engine without a store, asynchronous for one opened on a store.
  automatic,
  /// Inside trigger(): when it returns, every status is final.
  synchronous,
  /// By delivery workers after trigger() returned (statuses PENDING in its report), with retries.
  asynchronous,
};

/// When a failed delivery is tried again: after attempt n fails, the next waits a random time in
/// [0, min(max_backoff, initial_backoff * 2^(n-1))] ("full jitter").
struct HERALD_EXPORT RetryPolicy {
  /// Retries after the first try. Default: 6, the public service's count.
  std::size_t max_retries = 6;
  /// Default: 1 s.
  std::chrono::milliseconds initial_backoff{1000};
  /// Default: 60 s.
  std::chrono::milliseconds max_backoff{60'000};
};

struct HERALD_EXPORT Options {
  /// Most events one project may hold; creating one more is refused with HERALD.1003.
  /// Default: 30, the public quota per account.
  std::size_t max_events_per_project = 30;

  /// Most events one secret may subscribe to; a longer `event_subscriptions` is refused with
  /// HERALD.1003. Default: 1, as the public service allows today.
  std::size_t max_events_per_secret = 1;

  /// Most secrets herald knows in one project (a secret becomes known when its subscriptions or a
  /// version expiry are set); one more is refused with HERALD.1003. Default: 500, the public
  /// quota of secrets.
  std::size_t max_secrets_per_project = 500;

  /// Most armed SECRET_VERSION_EXPIRED timers of one secret; arming one more (a new version) is
  /// refused with HERALD.1003, re-arming an armed version is not. Default: 20.
  std::size_t max_expiry_timers_per_secret = 20;

  /// How long a notification record is kept; a record whose age reaches it is pruned.
  /// Default: 90 days, the public service's three months.
  std::chrono::milliseconds record_retention = std::chrono::days{90};

  /// An engine without a store keeps its records in memory: at most this many, in all projects;
  /// beyond it the oldest records (of any project) are dropped first (with several threads
  /// triggering, the count may pass it briefly by one a thread: docs/records.md). With a store,
  /// records live there and this does not apply. Default: 100 000 (about 108 MB measured, at
  /// ~1.1 KB a record).
  std::size_t max_records_in_memory = 100'000;

  /// Whether deliveries are recorded (list_records). Default: true, as the contract keeps every
  /// delivery; a host that keeps its own log (or a benchmark of routing alone) may turn it off.
  bool keep_records = true;

  /// Synchronous or asynchronous delivery. Default: automatic — synchronous without a store
  /// (trigger's report is final), asynchronous with one (the outbox makes it safe).
  DeliveryMode delivery = DeliveryMode::automatic;

  /// Asynchronous delivery: worker threads. 0 means none: the host calls run_deliveries().
  /// Default: 2.
  std::size_t delivery_workers = 2;

  /// Asynchronous delivery: the retry schedule of a failed delivery.
  RetryPolicy retry;

  /// Asynchronous delivery: how long one attempt may run before it counts as failed ("timed
  /// out"), so that a hung sink cannot stall the other deliveries (a worker is added to replace
  /// the stuck one). Default: 10 s.
  std::chrono::milliseconds attempt_timeout{10'000};

  /// Asynchronous delivery: most deliveries queued (waiting or being retried). Default: 10 000.
  std::size_t max_queued_deliveries = 10'000;

  /// Asynchronous delivery: how long trigger() waits for room in a full queue before it answers
  /// an error (nothing is dropped silently). Default: 0, answer at once.
  std::chrono::milliseconds enqueue_timeout{0};

  /// Where the engine reports failures no caller can be told (a final status, a forgotten secret
  /// or a fired timer the store refused to write: each is also counted, see
  /// Engine::store_write_failures). Default: none; herald itself never prints.
  LogFunction log;

  /// Where the engine counts triggers, final statuses, deliveries and attempts (herald/metrics.hpp;
  /// give the same object to the store's options for its commit times). Default: none, nothing
  /// is counted.
  std::shared_ptr<Metrics> metrics;

  /// The shape of every message. Default: herald's JSON object (CloudEvents 1.0 is the option
  /// for receivers that speak it).
  MessageFormat message_format = MessageFormat::herald_json;
};

}  // namespace herald
