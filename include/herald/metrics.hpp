// herald::Metrics: what an engine, its store and a transport count, rendered in the Prometheus
// text format 0.0.4 (contract §7). A host makes one, hands it to Options::metrics and
// SqliteStoreOptions::metrics, and serves render() (herald-server does at GET /metrics).
//
// Labels have bounded sets only: statuses and outcomes are fixed words; a target type is one of
// the first k_max_target_types seen (later ones count as "other"); a route is a path template
// and a code an HTTP status (at most k_max_http_series pairs, later ones count under route
// "other"). No label ever carries a project, secret, event or topic name.
//
// Thread-safety: safe for concurrent use; counting is a few relaxed atomic operations.
// Lifetime: shared (std::shared_ptr) by everything that counts into it.
#pragma once

#include "herald/export.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "herald/record.hpp"

namespace herald {

/// Fixed-bucket histogram of seconds (upper bounds 1 ms … 10 s, then +Inf).
class HERALD_EXPORT SecondsHistogram {
 public:
  static constexpr std::array<double, 12> k_bounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5,   10.0};
  void observe(double seconds) noexcept;
  /// Appends the histogram's lines (`name_bucket{…le="…"}`, `name_sum`, `name_count`), each
  /// with `labels` (`key="value",…` or empty) before `le`.
  void render(std::string& out, std::string_view name, std::string_view labels = {}) const;

 private:
  std::array<std::atomic<std::uint64_t>, k_bounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};
};

class HERALD_EXPORT Metrics {
 public:
  /// Target types with a series of their own; more count as "other".
  static constexpr std::size_t k_max_target_types = 16;
  /// (route, code) pairs with a series of their own; more count under route "other".
  static constexpr std::size_t k_max_http_series = 256;

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // ---- counted by the engine ----
  /// A lifecycle event was accepted (matched or not).
  void count_trigger() noexcept;
  /// `n` notifications were made (their outbox rows written, with a store).
  void count_made(std::size_t n) noexcept;
  /// A notification's status became final after its delivery to `target_type`.
  void count_final(std::string_view target_type, NotificationStatus status) noexcept;
  /// One sink delivery attempt (retries included).
  void count_attempt() noexcept;
  // ---- counted by the store ----
  void observe_commit(double seconds) noexcept;
  // ---- counted by a transport ----
  /// One HTTP request answered: its route template ("unmatched" when none), status, duration.
  void observe_http(std::string_view route, int code, double seconds);

  /// Every series in the Prometheus text format 0.0.4, HELP and TYPE lines included.
  [[nodiscard]] std::string render() const;

  /// Read back, for tests and hosts.
  [[nodiscard]] std::uint64_t triggers() const noexcept;
  [[nodiscard]] std::uint64_t outbox_pending() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald
