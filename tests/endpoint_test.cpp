// The SSRF guard and the endpoint rules of an SMN subscription (contract §5): what is refused,
// each reason named, and what passes.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "validate/endpoint.hpp"

namespace herald::validate {
namespace {

// A resolver that answers from a table, for names whose addresses a test decides.
Resolver table(std::vector<std::pair<std::string, std::vector<std::string>>> entries) {
  return [entries = std::move(entries)](const std::string& host) -> Result<std::vector<IpAddress>> {
    for (const auto& [name, texts] : entries) {
      if (name != host) continue;
      std::vector<IpAddress> addresses;
      for (const auto& text : texts) {
        IpAddress a;
        if (::inet_pton(AF_INET, text.c_str(), a.bytes.data()) != 1) {
          a.v6 = true;
          EXPECT_EQ(::inet_pton(AF_INET6, text.c_str(), a.bytes.data()), 1) << text;
        }
        addresses.push_back(a);
      }
      return addresses;
    }
    return Error{ErrorCode::invalid_argument, "endpoint: " + host + " does not resolve"};
  };
}

std::string guard(std::string_view url, const Resolver& resolve = system_resolver()) {
  const auto endpoint = subscription_endpoint(url.starts_with("https") ? "https" : "http", url);
  if (!endpoint) return "parse: " + endpoint.error().message();
  const auto judged = public_endpoint(*endpoint, resolve);
  return judged ? "ok" : judged.error().message();
}

TEST(endpoint_test, every_non_public_address_of_the_table_is_refused_with_its_reason) {
  const std::pair<const char*, const char*> refused[] = {
      {"http://127.0.0.1/hook", "endpoint: 127.0.0.1 is a loopback address"},
      {"http://[::1]/hook", "endpoint: ::1 is a loopback address"},
      {"http://10.1.2.3/hook", "endpoint: 10.1.2.3 is a private address"},
      {"http://172.16.0.1/hook", "endpoint: 172.16.0.1 is a private address"},
      {"http://172.31.255.255/hook", "endpoint: 172.31.255.255 is a private address"},
      {"http://192.168.1.1/hook", "endpoint: 192.168.1.1 is a private address"},
      {"http://169.254.169.254/latest/meta-data",
       "endpoint: 169.254.169.254 is a link-local address"},
      {"http://[::ffff:127.0.0.1]/hook",
       "endpoint: ::ffff:127.0.0.1 is a loopback address (as 127.0.0.1)"},
      {"http://0.0.0.0/hook", "endpoint: 0.0.0.0 is an unspecified (\"this network\") address"},
      {"http://[::]/hook", "endpoint: :: is an unspecified address"},
      {"http://100.64.0.1/", "endpoint: 100.64.0.1 is a shared (carrier-grade NAT) address"},
      {"http://224.0.0.1/", "endpoint: 224.0.0.1 is a multicast address"},
      {"http://255.255.255.255/", "endpoint: 255.255.255.255 is a reserved address"},
      {"http://198.18.0.1/", "endpoint: 198.18.0.1 is a benchmarking address"},
      {"http://192.0.2.10/", "endpoint: 192.0.2.10 is a documentation address"},
      {"http://[fd00::1]/", "endpoint: fd00::1 is a unique local (private) address"},
      {"http://[fe80::1]/", "endpoint: fe80::1 is a link-local address"},
      {"http://[fec0::1]/", "endpoint: fec0::1 is a site-local address"},
      {"http://[ff02::1]/", "endpoint: ff02::1 is a multicast address"},
      {"http://[2001:db8::1]/", "endpoint: 2001:db8::1 is a documentation address"},
      {"http://[64:ff9b::a00:1]/", "endpoint: 64:ff9b::a00:1 is a private address (as 10.0.0.1)"},
      {"http://[2002:7f00:1::]/",
       "endpoint: 2002:7f00:1:: is a loopback address (as 127.0.0.1, inside 6to4)"},
      // Numeric spellings are the address inet_aton reads.
      {"http://2130706433/", "endpoint: 2130706433 is 127.0.0.1, a loopback address"},
      {"http://0x7f000001/", "endpoint: 0x7f000001 is 127.0.0.1, a loopback address"},
      {"http://0177.0.0.1/", "endpoint: 0177.0.0.1 is 127.0.0.1, a loopback address"},
      {"http://127.1/", "endpoint: 127.1 is 127.0.0.1, a loopback address"},
  };
  for (const auto& [url, reason] : refused) EXPECT_EQ(guard(url), reason) << url;
}

TEST(endpoint_test, a_name_is_judged_by_every_address_it_resolves_to) {
  // localhost through the system resolver (/etc/hosts): 127.0.0.1 or ::1, both loopback.
  const std::string localhost = guard("http://localhost:8080/hook");
  EXPECT_TRUE(localhost.starts_with("endpoint: localhost resolves to ")) << localhost;
  EXPECT_TRUE(localhost.ends_with(", a loopback address")) << localhost;
  const auto resolve = table({{"hooks.example.com", {"93.184.216.34"}},
                              {"mixed.example.com", {"93.184.216.34", "10.0.0.7"}},
                              {"v6.example.com", {"2606:4700::6810:85e5"}}});
  EXPECT_EQ(guard("https://hooks.example.com/a?b=c", resolve), "ok");
  EXPECT_EQ(guard("https://v6.example.com/", resolve), "ok");
  EXPECT_EQ(guard("https://mixed.example.com/", resolve),
            "endpoint: mixed.example.com resolves to 10.0.0.7, a private address");
  EXPECT_EQ(guard("https://nowhere.example.com/", resolve),
            "endpoint: nowhere.example.com does not resolve");
  EXPECT_EQ(guard("http://93.184.216.34:8080/"), "ok") << "a public literal needs no resolver";
  EXPECT_EQ(guard("http://[2606:4700::6810:85e5]/"), "ok");
}

TEST(endpoint_test, the_connect_time_check_judges_the_address_connected_to) {
  sockaddr_in loopback{};
  loopback.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.0.1", &loopback.sin_addr);
  const auto refused =
      public_connect_address(reinterpret_cast<const sockaddr*>(&loopback), sizeof loopback);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(), "endpoint: connecting to 127.0.0.1, a loopback address");
  sockaddr_in6 mapped{};
  mapped.sin6_family = AF_INET6;
  ::inet_pton(AF_INET6, "::ffff:192.168.0.9", &mapped.sin6_addr);
  EXPECT_FALSE(
      public_connect_address(reinterpret_cast<const sockaddr*>(&mapped), sizeof mapped).ok());
  sockaddr_in public_one{};
  public_one.sin_family = AF_INET;
  ::inet_pton(AF_INET, "93.184.216.34", &public_one.sin_addr);
  EXPECT_TRUE(
      public_connect_address(reinterpret_cast<const sockaddr*>(&public_one), sizeof public_one)
          .ok());
}

TEST(endpoint_test, malformed_endpoints_are_refused_naming_the_field) {
  const std::tuple<const char*, const char*, const char*> refused[] = {
      {"ftp", "ftp://example.com/", "protocol: must be \"http\" or \"https\""},
      {"http", "", "endpoint: is required"},
      {"http", "example.com/hook", "endpoint: is not an absolute URL"},
      {"http", "http//example.com", "endpoint: is not an absolute URL"},
      {"https", "http://example.com/", "endpoint: its scheme http is not the protocol https"},
      {"http", "http://user:pw@example.com/", "endpoint: must not carry a user name or password"},
      {"http", "http://user@example.com/", "endpoint: must not carry a user name or password"},
      {"http", "http:///hook", "endpoint: has no host"},
      {"http", "http://example.com:0/", "endpoint: port 0 is not 1-65535"},
      {"http", "http://example.com:99999/", "endpoint: port 99999 is not 1-65535"},
      {"http", "http://example.com/#frag", "endpoint: must not have a fragment (#…)"},
      {"http", "http://exa mple.com/", "endpoint: is not an absolute URL"},
  };
  for (const auto& [protocol, url, message] : refused) {
    const auto endpoint = subscription_endpoint(protocol, url);
    ASSERT_FALSE(endpoint.ok()) << url;
    EXPECT_EQ(endpoint.error().code(), ErrorCode::invalid_argument);
    EXPECT_EQ(endpoint.error().message(), message) << url;
  }
  const std::string long_url = "http://example.com/" + std::string(k_max_endpoint_length, 'a');
  EXPECT_EQ(subscription_endpoint("http", long_url).error().message(),
            "endpoint: must be at most 2048 characters");
}

TEST(endpoint_test, a_good_endpoint_parses_into_its_parts) {
  const auto e = subscription_endpoint("https", "HTTPS://Hooks.Example.com:8443/a/b?c=d").value();
  EXPECT_EQ(e.scheme, "https");
  EXPECT_EQ(e.host, "Hooks.Example.com");
  EXPECT_EQ(e.port, 8443);
  EXPECT_EQ(e.target, "/a/b?c=d");
  EXPECT_FALSE(e.literal.has_value());
  const auto plain = subscription_endpoint("http", "http://example.com").value();
  EXPECT_EQ(plain.port, 80);
  EXPECT_EQ(plain.target, "/");
  const auto v6 = subscription_endpoint("http", "http://[2606:4700::1]:81/x").value();
  EXPECT_EQ(v6.host, "2606:4700::1");
  ASSERT_TRUE(v6.literal.has_value());
  EXPECT_TRUE(v6.literal->v6);
}

}  // namespace
}  // namespace herald::validate
