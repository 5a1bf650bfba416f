// The one translation unit that compiles Boost.URL (header-only, through boost/url/src.hpp).
#include "validate/endpoint.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>

#include <boost/url/parse.hpp>
#include <boost/url/src.hpp>
#include <cctype>
#include <charconv>
#include <cstring>

namespace herald::validate {
namespace {

Error bad_endpoint(std::string why) {
  return Error{ErrorCode::invalid_argument, "endpoint: " + std::move(why)};
}

IpAddress v4(const std::uint8_t* four) {
  IpAddress address;
  std::memcpy(address.bytes.data(), four, 4);
  return address;
}

// A prefix of `bits` bits of `net` (bytes given in network order).
bool in(const IpAddress& address, std::initializer_list<std::uint8_t> net, int bits) {
  const auto* net_bytes = net.begin();
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const int take = std::min(bits, 8);
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
    if ((address.bytes[static_cast<std::size_t>(i)] & mask) != (net_bytes[i] & mask)) return false;
  }
  return true;
}

std::optional<std::string> v4_reason(const IpAddress& a) {
  struct Range {
    std::initializer_list<std::uint8_t> net;
    int bits;
    const char* what;
  };
  static const Range ranges[] = {
      {{0, 0, 0, 0}, 8, "an unspecified (\"this network\") address"},
      {{10, 0, 0, 0}, 8, "a private address"},
      {{100, 64, 0, 0}, 10, "a shared (carrier-grade NAT) address"},
      {{127, 0, 0, 0}, 8, "a loopback address"},
      {{169, 254, 0, 0}, 16, "a link-local address"},
      {{172, 16, 0, 0}, 12, "a private address"},
      {{192, 0, 0, 0}, 24, "an IETF protocol assignment address"},
      {{192, 0, 2, 0}, 24, "a documentation address"},
      {{192, 168, 0, 0}, 16, "a private address"},
      {{198, 18, 0, 0}, 15, "a benchmarking address"},
      {{198, 51, 100, 0}, 24, "a documentation address"},
      {{203, 0, 113, 0}, 24, "a documentation address"},
      {{224, 0, 0, 0}, 4, "a multicast address"},
      {{240, 0, 0, 0}, 4, "a reserved address"},
  };
  for (const auto& range : ranges) {
    if (in(a, range.net, range.bits)) return range.what;
  }
  return std::nullopt;
}

}  // namespace

std::string IpAddress::text() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buffer, sizeof buffer);
  return buffer;
}

std::optional<std::string> non_public_reason(const IpAddress& a) {
  if (!a.v6) return v4_reason(a);
  static const std::array<std::uint8_t, 16> zero{};
  if (a.bytes == zero) return "an unspecified address";
  std::array<std::uint8_t, 16> one{};
  one[15] = 1;
  if (a.bytes == one) return "a loopback address";
  // IPv4 inside IPv6: judged by the IPv4 address.
  if (in(a, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96) ||
      in(a, {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}, 96)) {
    if (auto why = v4_reason(v4(a.bytes.data() + 12))) {
      return fmt::format("{} (as {})", *why, v4(a.bytes.data() + 12).text());
    }
    return std::nullopt;
  }
  if (in(a, {0x20, 0x02}, 16)) {
    if (auto why = v4_reason(v4(a.bytes.data() + 2))) {
      return fmt::format("{} (as {}, inside 6to4)", *why, v4(a.bytes.data() + 2).text());
    }
    return std::nullopt;
  }
  if (in(a, {0xfc}, 7)) return "a unique local (private) address";
  if (in(a, {0xfe, 0x80}, 10)) return "a link-local address";
  if (in(a, {0xfe, 0xc0}, 10)) return "a site-local address";
  if (in(a, {0xff}, 8)) return "a multicast address";
  if (in(a, {0x20, 0x01, 0x0d, 0xb8}, 32)) return "a documentation address";
  return std::nullopt;
}

Result<Endpoint> subscription_endpoint(std::string_view protocol, std::string_view url) {
  if (protocol != "http" && protocol != "https") {
    return Error{ErrorCode::invalid_argument, "protocol: must be \"http\" or \"https\""};
  }
  if (url.empty()) return bad_endpoint("is required");
  if (url.size() > k_max_endpoint_length) {
    return bad_endpoint(fmt::format("must be at most {} characters", k_max_endpoint_length));
  }
  const auto parsed = boost::urls::parse_uri(url);  // a fragment parses: refused below, by name
  if (!parsed) return bad_endpoint("is not an absolute URL");
  const boost::urls::url_view& u = *parsed;
  std::string scheme(u.scheme());
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != protocol) {
    return bad_endpoint(fmt::format("its scheme {} is not the protocol {}", scheme, protocol));
  }
  if (u.has_userinfo()) return bad_endpoint("must not carry a user name or password");
  Endpoint endpoint;
  endpoint.scheme = scheme;
  switch (u.host_type()) {
    case boost::urls::host_type::none: return bad_endpoint("has no host");
    case boost::urls::host_type::ipvfuture:
      return bad_endpoint("has an address form herald cannot judge (IPvFuture)");
    case boost::urls::host_type::ipv6: {
      endpoint.host = std::string(u.host_address());
      IpAddress address{.v6 = true};
      if (::inet_pton(AF_INET6, endpoint.host.c_str(), address.bytes.data()) != 1) {
        return bad_endpoint(
            fmt::format("{} is not an IPv6 address herald can judge", endpoint.host));
      }
      endpoint.literal = address;
      break;
    }
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::name: {
      endpoint.host = u.host();  // percent-decoded
      if (endpoint.host.empty()) return bad_endpoint("has no host");
      // Numeric spellings a resolver would read as an address (127.1, 2130706433, 0x7f.1,
      // 0177.0.0.1) are that address.
      in_addr numeric{};
      if (::inet_aton(endpoint.host.c_str(), &numeric) != 0) {
        endpoint.literal = v4(reinterpret_cast<const std::uint8_t*>(&numeric.s_addr));
      }
      break;
    }
  }
  if (u.has_port()) {
    // Read here: Boost.URL's port_number() wraps a port above 65535.
    const std::string_view text = u.port();
    std::uint32_t port = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || port == 0 ||
        port > 65535) {
      return bad_endpoint(fmt::format("port {} is not 1-65535", text));
    }
    endpoint.port = static_cast<std::uint16_t>(port);
  } else {
    endpoint.port = scheme == "https" ? 443 : 80;
  }
  if (u.has_fragment()) return bad_endpoint("must not have a fragment (#…)");
  endpoint.target = std::string(u.encoded_target());
  if (endpoint.target.empty()) endpoint.target = "/";
  return endpoint;
}

Resolver system_resolver() {
  return [](const std::string& host) -> Result<std::vector<IpAddress>> {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int code = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); code != 0) {
      return bad_endpoint(fmt::format("{} does not resolve ({})", host, ::gai_strerror(code)));
    }
    std::vector<IpAddress> addresses;
    for (const addrinfo* at = found; at != nullptr; at = at->ai_next) {
      if (at->ai_family == AF_INET) {
        const auto* in4 = reinterpret_cast<const sockaddr_in*>(at->ai_addr);
        addresses.push_back(v4(reinterpret_cast<const std::uint8_t*>(&in4->sin_addr.s_addr)));
      } else if (at->ai_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(at->ai_addr);
        IpAddress address{.v6 = true};
        std::memcpy(address.bytes.data(), &in6->sin6_addr, 16);
        addresses.push_back(address);
      }
    }
    ::freeaddrinfo(found);
    if (addresses.empty()) return bad_endpoint(fmt::format("{} does not resolve", host));
    return addresses;
  };
}

Result<void> public_endpoint(const Endpoint& endpoint, const Resolver& resolve) {
  if (endpoint.literal) {
    if (auto why = non_public_reason(*endpoint.literal)) {
      const std::string text = endpoint.literal->text();
      return bad_endpoint(text == endpoint.host
                              ? fmt::format("{} is {}", text, *why)
                              : fmt::format("{} is {}, {}", endpoint.host, text, *why));
    }
    return {};
  }
  auto addresses = resolve(endpoint.host);
  if (!addresses) return addresses.error();
  // Every address the name has: a name with one private address among public ones could be
  // connected to that one.
  for (const auto& address : *addresses) {
    if (auto why = non_public_reason(address)) {
      return bad_endpoint(
          fmt::format("{} resolves to {}, {}", endpoint.host, address.text(), *why));
    }
  }
  return {};
}

Result<void> public_connect_address(const sockaddr* address, socklen_t length) {
  IpAddress ip;
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    ip = v4(reinterpret_cast<const std::uint8_t*>(
        &reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr));
  } else if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    ip.v6 = true;
    std::memcpy(ip.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, 16);
  } else {
    return Error{ErrorCode::invalid_argument, "endpoint: not an IPv4 or IPv6 address"};
  }
  if (auto why = non_public_reason(ip)) {
    return Error{ErrorCode::invalid_argument,
                 fmt::format("endpoint: connecting to {}, {}", ip.text(), *why)};
  }
  return {};
}

}  // namespace herald::validate
