// One HTTP(S) push attempt (contract §5), on libcurl (Debian's libcurl4-openssl: TLS through
// OpenSSL, certificates verified against the system store). What the attempt's answer means
// for the delivery is decided here, once:
//   2xx                                   delivered
//   5xx, 408, 429 (with its Retry-After), a timeout, a connection error   retry
//   3xx (never followed), any other 4xx   final; 410 also unsubscribes
// The SSRF guard runs again on the address actually connected to (unless private endpoints are
// allowed), so that a name rebound to a private address after AddSubscription reaches nothing;
// proxies from the environment are never used.
//
// Thread-safety: push_once may run on any number of threads at once (each call its own handle).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace herald::detail {

struct PushRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  ///< sent as POST with Content-Type: application/json
  std::chrono::milliseconds timeout{5000};
  bool allow_private = false;  ///< skip the connect-time SSRF guard (tests, closed networks)
};

struct PushResult {
  enum class Kind { delivered, retry, final };
  Kind kind = Kind::final;
  std::optional<int> http_status;  ///< none when no answer came (timeout, connection error)
  std::string error;               ///< why not delivered: "timed out", "HTTP 503", …
  /// A 429's or 503's Retry-After (seconds, or an HTTP date made relative to now): the least
  /// time to wait before the next attempt.
  std::optional<std::chrono::seconds> retry_after;
  bool unsubscribe = false;  ///< 410 Gone: the endpoint asked to be removed
};

/// Makes one attempt. Never throws for what the network or the receiver does.
[[nodiscard]] PushResult push_once(const PushRequest& request);

/// The longest wait a Retry-After can ask for: a receiver's answer cannot park a push for
/// longer (nor overflow the wait's arithmetic).
inline constexpr std::chrono::seconds k_max_retry_after{24 * 3600};

/// A Retry-After value, seconds or an HTTP date (RFC 9110 §10.2.3), as a wait from `now`, at
/// most k_max_retry_after; nullopt when it is neither (a date in the past is a wait of 0).
[[nodiscard]] std::optional<std::chrono::seconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

}  // namespace herald::detail
