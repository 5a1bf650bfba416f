// herald::aksk: AK/SK request signing (`SDK-HMAC-SHA256`) as the official Huawei Cloud SDKs do
// it, for both ends: sign() makes the headers a client sends, verify() checks a received
// request (spec/sdk-signing.md §4–§6; herald-server verifies every request that carries
// `Authorization`). The canonical request is built from the bytes as received: the target as
// sent, each signed header's value as sent, the body's SHA-256. Crypto is OpenSSL's.
//
// Thread-safety: free functions over values; safe for concurrent use.
#pragma once

#include "herald/api_export.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "herald/clock.hpp"
#include "herald/error.hpp"
#include "herald/http_message.hpp"

namespace herald::aksk {

/// The algorithm word that opens the Authorization header.
inline constexpr std::string_view k_algorithm = "SDK-HMAC-SHA256";
/// How far X-Sdk-Date may be from the verifier's clock, either way.
inline constexpr std::chrono::minutes k_date_window{15};
/// Bounds on what a verifier reads from a request before any crypto runs.
inline constexpr std::size_t k_max_access_key_bytes = 128;
inline constexpr std::size_t k_max_signed_headers = 32;

/// An access key (AK), its secret key (SK) and the one project it may act on.
struct HERALD_API_EXPORT Credential {
  std::string access_key;
  std::string secret_key;
  std::string project_id;
};

/// E(x) of §4: the UTF-8 bytes of `text`; letters, digits and the four marks "-", "_", ".",
/// "~" kept, every other byte written as "%XX" (upper-case hex).
[[nodiscard]] HERALD_API_EXPORT std::string encode(std::string_view text);

/// CanonicalURI of a path as received on the wire (§4): E of each segment, with the two
/// corrections for what the SDK signs but sends differently (a raw `'`, `|`, `^` counts as its
/// escape; an escape of a byte 0x80–0xFF counts as the byte), and a `/` appended unless the
/// path ends in one.
[[nodiscard]] HERALD_API_EXPORT std::string canonical_uri(std::string_view raw_path);

/// CanonicalQuery of a query string as received (§4), without the `?`: pairs split at `&` and
/// the first `=`, percent-decoded, E-encoded, sorted by name then value, joined by `&`.
[[nodiscard]] HERALD_API_EXPORT std::string canonical_query(std::string_view raw_query);

/// The canonical request of `request` for the headers named in `signed_headers` (lower-case
/// names, in the order they are signed). Errors: unauthenticated when a named header is absent
/// or given more than once.
[[nodiscard]] HERALD_API_EXPORT Result<std::string> canonical_request(
    const HttpRequest& request, std::span<const std::string> signed_headers);

/// StringToSign = algorithm "\n" sdk_date "\n" hex(SHA-256(canonical_request)).
[[nodiscard]] HERALD_API_EXPORT std::string string_to_sign(std::string_view sdk_date,
                                                           std::string_view canonical_request);

/// hex(HMAC-SHA256(key = secret_key, message = string_to_sign)), lower-case.
[[nodiscard]] HERALD_API_EXPORT std::string signature(std::string_view secret_key,
                                                      std::string_view string_to_sign);

/// `t` as X-Sdk-Date: UTC `YYYYMMDDTHHMMSSZ`.
[[nodiscard]] HERALD_API_EXPORT std::string format_sdk_date(
    std::chrono::system_clock::time_point t);
/// The time of an X-Sdk-Date value; nullopt unless it is exactly `YYYYMMDDTHHMMSSZ` and a real
/// date and time.
[[nodiscard]] HERALD_API_EXPORT std::optional<std::chrono::sys_seconds> parse_sdk_date(
    std::string_view text);

/// Signs `request` as the SDK does: sets `X-Sdk-Date` to `sdk_date` (format_sdk_date of now
/// when empty) and `Authorization`, signing `content-type` and `x-project-id` when present, and
/// `host` and `x-sdk-date`; `target` must be exactly what goes on the wire. Replaces an earlier
/// signature. Errors: invalid_argument when the request has no single `Host` header.
HERALD_API_EXPORT Result<void> sign(HttpRequest& request, std::string_view access_key,
                                    std::string_view secret_key, std::string_view sdk_date = {});

/// Finds the credential of an access key, or nullopt when the key is unknown.
using CredentialLookup = std::function<std::optional<Credential>(std::string_view access_key)>;

/// Verifies the `Authorization` header of `request` (§6 steps 1–5) against `now`. Answers the
/// credential that signed it; the caller checks its project (step 6). Errors: unauthenticated,
/// with a message that says which check failed: a malformed header, an unknown access key,
/// `host` or `x-sdk-date` not signed, a signed header missing, a date outside ±15 minutes, a
/// signature that does not match. A message never contains the expected signature or the SK.
[[nodiscard]] HERALD_API_EXPORT Result<Credential> verify(const HttpRequest& request,
                                                          const CredentialLookup& lookup,
                                                          TimePoint now);

}  // namespace herald::aksk
