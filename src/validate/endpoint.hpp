// Where herald may push to: an SMN subscription's endpoint (contract §5), parsed and judged by
// the SSRF guard. An endpoint must be an absolute http(s) URL without userinfo whose host is, or
// resolves only to, global unicast addresses; loopback, private, link-local, multicast,
// unspecified and the other special-purpose ranges of §5 are refused, with the reason named.
// The guard runs twice: when a subscription is added (every address the name resolves to) and
// on the address actually connected to (connect_address), so that DNS rebinding cannot reach
// one. Numeric host spellings are read as inet_aton reads them (`2130706433`, `0x7f000001`,
// `0177.0.0.1` and `127.1` are all 127.0.0.1).
//
// Thread-safety: plain functions; the system resolver is getaddrinfo.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/error.hpp"

namespace herald::validate {

/// The longest endpoint URL accepted.
inline constexpr std::size_t k_max_endpoint_length = 2048;

/// An IPv4 or IPv6 address.
struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  ///< IPv4: the first 4

  [[nodiscard]] std::string text() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

/// A parsed endpoint.
struct Endpoint {
  std::string scheme;  ///< "http" or "https"
  std::string host;    ///< as written, without brackets for an IPv6 literal
  std::uint16_t port = 0;
  std::string target;                ///< path and query, "/" when empty
  std::optional<IpAddress> literal;  ///< when the host is a numeric address
};

/// `url` as the endpoint of a subscription of `protocol` ("http" or "https"). Errors:
/// invalid_argument naming `protocol` (not http or https) or `endpoint` (too long, does not
/// parse, not absolute, a scheme that is not the protocol, userinfo, no host, a bad port, a
/// fragment).
Result<Endpoint> subscription_endpoint(std::string_view protocol, std::string_view url);

/// Why `address` may not receive pushes ("a loopback address", "a private address", …), or
/// nullopt when it is global unicast.
[[nodiscard]] std::optional<std::string> non_public_reason(const IpAddress& address);

/// The addresses a host name resolves to. Errors: invalid_argument when it does not resolve.
using Resolver = std::function<Result<std::vector<IpAddress>>(const std::string& host)>;
/// getaddrinfo.
[[nodiscard]] Resolver system_resolver();

/// The SSRF guard at AddSubscription: the endpoint's literal address, or every address its
/// name resolves to, must be global unicast. Errors: invalid_argument naming `endpoint` and the
/// reason ("endpoint: localhost resolves to 127.0.0.1, a loopback address").
Result<void> public_endpoint(const Endpoint& endpoint, const Resolver& resolve = system_resolver());

/// The SSRF guard at connect time, on the address actually connected to. Errors:
/// invalid_argument naming the address and the reason.
Result<void> public_connect_address(const sockaddr* address, socklen_t length);

}  // namespace herald::validate
