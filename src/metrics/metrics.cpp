#include "herald/metrics.hpp"

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <utility>

namespace herald {
namespace {

constexpr std::memory_order k_relaxed = std::memory_order_relaxed;

// A label value as the text format wants it: `\`, `"` and newlines escaped, and cut to 64
// bytes (a target type is whatever an event names).
std::string label_value(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 64)) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

void SecondsHistogram::observe(double seconds) noexcept {
  std::size_t i = 0;
  while (i < k_bounds.size() && seconds > k_bounds[i]) ++i;
  buckets_[i].fetch_add(1, k_relaxed);
  count_.fetch_add(1, k_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(seconds > 0 ? seconds * 1e6 : 0), k_relaxed);
}

void SecondsHistogram::render(std::string& out, std::string_view name,
                              std::string_view labels) const {
  const std::string prefix = labels.empty() ? "" : std::string(labels) + ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < k_bounds.size(); ++i) {
    cumulative += buckets_[i].load(k_relaxed);
    out += fmt::format("{}_bucket{{{}le=\"{}\"}} {}\n", name, prefix, k_bounds[i], cumulative);
  }
  cumulative += buckets_[k_bounds.size()].load(k_relaxed);
  out += fmt::format("{}_bucket{{{}le=\"+Inf\"}} {}\n", name, prefix, cumulative);
  const std::string braces = labels.empty() ? "" : "{" + std::string(labels) + "}";
  out += fmt::format("{}_sum{} {}\n", name, braces,
                     static_cast<double>(sum_micros_.load(k_relaxed)) / 1e6);
  out += fmt::format("{}_count{} {}\n", name, braces, cumulative);
}

struct Metrics::Impl {
  struct TargetType {
    std::string name;
    std::array<std::atomic<std::uint64_t>, 3> outcomes{};  // by NotificationStatus
  };
  struct HttpSeries {
    std::uint64_t requests = 0;
  };

  std::atomic<std::uint64_t> triggers{0};
  std::atomic<std::uint64_t> made{0};
  std::atomic<std::uint64_t> attempts{0};
  std::array<std::atomic<std::uint64_t>, 3> finals{};  // by NotificationStatus

  // Published by `target_count` (release) after the name is written; looked up without a lock.
  std::array<TargetType, k_max_target_types + 1> targets;  // the last one is "other"
  std::atomic<std::size_t> target_count{0};
  std::mutex target_mutex;

  SecondsHistogram commits;

  mutable std::mutex http_mutex;
  std::map<std::pair<std::string, int>, HttpSeries> http;
  std::map<std::string, std::unique_ptr<SecondsHistogram>, std::less<>> durations;

  TargetType& target(std::string_view name) {
    const std::size_t known = target_count.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < known; ++i) {
      if (targets[i].name == name) return targets[i];
    }
    std::lock_guard lock(target_mutex);
    const std::size_t now_known = target_count.load(k_relaxed);
    for (std::size_t i = known; i < now_known; ++i) {
      if (targets[i].name == name) return targets[i];
    }
    if (now_known == k_max_target_types) return targets[k_max_target_types];
    targets[now_known].name = std::string(name.substr(0, 64));
    target_count.store(now_known + 1, std::memory_order_release);
    return targets[now_known];
  }
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {
  impl_->targets[k_max_target_types].name = "other";
}
Metrics::~Metrics() = default;

void Metrics::count_trigger() noexcept { impl_->triggers.fetch_add(1, k_relaxed); }
void Metrics::count_made(std::size_t n) noexcept { impl_->made.fetch_add(n, k_relaxed); }
void Metrics::count_attempt() noexcept { impl_->attempts.fetch_add(1, k_relaxed); }
void Metrics::observe_commit(double seconds) noexcept { impl_->commits.observe(seconds); }

void Metrics::count_final(std::string_view target_type, NotificationStatus status) noexcept {
  const auto index = static_cast<std::size_t>(status);
  if (index >= 3) return;  // PENDING is never final
  impl_->finals[index].fetch_add(1, k_relaxed);
  try {
    impl_->target(target_type).outcomes[index].fetch_add(1, k_relaxed);
  } catch (...) {
    // Out of memory for a new name: counted as "other".
    impl_->targets[k_max_target_types].outcomes[index].fetch_add(1, k_relaxed);
  }
}

void Metrics::observe_http(std::string_view route, int code, double seconds) {
  std::lock_guard lock(impl_->http_mutex);
  auto key = std::pair{std::string(route), code};
  auto it = impl_->http.find(key);
  if (it == impl_->http.end()) {
    if (impl_->http.size() >= k_max_http_series) key = {"other", code};
    it = impl_->http.try_emplace(std::move(key)).first;
  }
  ++it->second.requests;
  auto duration = impl_->durations.find(it->first.first);
  if (duration == impl_->durations.end()) {
    duration =
        impl_->durations.emplace(it->first.first, std::make_unique<SecondsHistogram>()).first;
  }
  duration->second->observe(seconds);
}

std::uint64_t Metrics::triggers() const noexcept { return impl_->triggers.load(k_relaxed); }

std::uint64_t Metrics::outbox_pending() const noexcept {
  std::uint64_t finished = 0;
  for (const auto& n : impl_->finals) finished += n.load(k_relaxed);
  const std::uint64_t made = impl_->made.load(k_relaxed);
  return made > finished ? made - finished : 0;
}

std::string Metrics::render() const {
  static constexpr std::array<std::string_view, 3> k_statuses = {"SUCCESS", "FAIL", "INVALID"};
  static constexpr std::array<std::string_view, 3> k_outcomes = {"delivered", "failed",
                                                                 "invalid_target"};
  static_assert(static_cast<int>(NotificationStatus::success) == 0 &&
                static_cast<int>(NotificationStatus::fail) == 1 &&
                static_cast<int>(NotificationStatus::invalid) == 2);
  std::string out;
  header(out, "herald_triggers_total", "counter", "Lifecycle events accepted, matched or not.");
  out += fmt::format("herald_triggers_total {}\n", impl_->triggers.load(k_relaxed));

  header(out, "herald_notifications_total", "counter",
         "Notifications whose status became final, by status.");
  for (std::size_t i = 0; i < 3; ++i) {
    out += fmt::format("herald_notifications_total{{status=\"{}\"}} {}\n", k_statuses[i],
                       impl_->finals[i].load(k_relaxed));
  }

  header(out, "herald_deliveries_total", "counter",
         "Finished sink deliveries, by target type and outcome.");
  const std::size_t known = impl_->target_count.load(std::memory_order_acquire);
  const auto target_lines = [&](const Impl::TargetType& target) {
    for (std::size_t i = 0; i < 3; ++i) {
      out +=
          fmt::format("herald_deliveries_total{{target_type=\"{}\",outcome=\"{}\"}} {}\n",
                      label_value(target.name), k_outcomes[i], target.outcomes[i].load(k_relaxed));
    }
  };
  for (std::size_t i = 0; i < known; ++i) target_lines(impl_->targets[i]);
  if (known == k_max_target_types) target_lines(impl_->targets[k_max_target_types]);

  header(out, "herald_delivery_attempts_total", "counter",
         "Sink delivery attempts, retries included.");
  out += fmt::format("herald_delivery_attempts_total {}\n", impl_->attempts.load(k_relaxed));

  header(out, "herald_outbox_pending", "gauge",
         "Notifications made whose status is not final yet.");
  out += fmt::format("herald_outbox_pending {}\n", outbox_pending());

  header(out, "herald_store_commit_seconds", "histogram", "Duration of store commits.");
  impl_->commits.render(out, "herald_store_commit_seconds");

  std::lock_guard lock(impl_->http_mutex);
  header(out, "herald_http_requests_total", "counter",
         "HTTP requests answered, by route template and status code.");
  for (const auto& [key, series] : impl_->http) {
    out += fmt::format("herald_http_requests_total{{route=\"{}\",code=\"{}\"}} {}\n",
                       label_value(key.first), key.second, series.requests);
  }
  header(out, "herald_http_request_duration_seconds", "histogram",
         "Time to answer an HTTP request, by route template.");
  for (const auto& [route, histogram] : impl_->durations) {
    histogram->render(out, "herald_http_request_duration_seconds",
                      fmt::format("route=\"{}\"", label_value(route)));
  }
  return out;
}

}  // namespace herald
