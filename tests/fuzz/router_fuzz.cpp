// libFuzzer target over the REST router and its JSON codec: every input is one request.
//
// Layout of an input: byte 0 picks the method and the credential (a token, none, or an AK/SK
// signature, valid or with an Authorization header taken from the input); up to the first '\n'
// is the target; the rest is the body (in the last mode its first line is the Authorization
// value). The engine persists across inputs (so that creates, subscriptions and
// triggers meet each other) and is renewed every 4096 inputs to bound memory.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "herald/herald.hpp"
#include "herald/rest.hpp"

namespace {

constexpr std::string_view k_methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "get"};
// The last entry stands for AK/SK signing: the header token is empty then.
constexpr const char* k_tokens[] = {"token-a", "token-b", "", "bogus", "aksk"};
constexpr const char* k_secret_key = "sk-of-project-a";
// What must not leak: the tokens and the secret key.
constexpr const char* k_secrets[] = {"token-a", "token-b", "bogus", "aksk", k_secret_key};

struct World {
  World()
      : clock(std::make_shared<herald::ManualClock>()),
        engine(herald::Options{.max_events_per_secret = 3}, clock),
        // Private endpoints allowed: the SSRF guard resolves names, and a fuzzer must not wait
        // on DNS (the guard has tests of its own). No pushes are started: nothing is sent.
        topics(std::make_shared<herald::SmnTopics>(
            "region-1", herald::SmnOptions{.allow_private_endpoints = true})),
        router(engine, *topics,
               herald::Credentials{{{"token-a", "project-a"}, {"token-b", "project-b"}},
                                   {{"AK-A", k_secret_key, "project-a"}}},
               clock) {
    sink = engine.connect_sink("SMN", herald::smn_sink(topics));
  }
  std::shared_ptr<herald::ManualClock> clock;
  herald::Engine engine;
  std::shared_ptr<herald::SmnTopics> topics;
  herald::RestRouter router;
  herald::ScopedConnection sink;
  std::set<std::string> secrets_seen_as_data;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::unique_ptr<World> world;
  static std::size_t runs = 0;
  if (!world || ++runs % 4096 == 0) world = std::make_unique<World>();
  if (size == 0) return 0;

  const std::uint8_t selector = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto newline = rest.find('\n');
  herald::HttpRequest request;
  request.method = std::string(k_methods[selector % std::size(k_methods)]);
  request.target = std::string(rest.substr(0, newline));
  if (newline != std::string_view::npos) request.body = std::string(rest.substr(newline + 1));
  const char* token = k_tokens[(selector >> 4) % std::size(k_tokens)];
  const bool aksk = std::string_view(token) == "aksk";
  if (aksk) {
    token = "";
    request.headers.emplace_back("Host", "127.0.0.1:8080");
    request.headers.emplace_back("Content-Type", "application/json");
    const auto date = herald::aksk::format_sdk_date(world->clock->now());
    if ((selector & 0x08) != 0) {
      // The Authorization value from the input, beside a well-formed date.
      const auto line = request.body.find('\n');
      request.headers.emplace_back("X-Sdk-Date", date);
      request.headers.emplace_back("Authorization", request.body.substr(0, line));
      request.body = line == std::string::npos ? "" : request.body.substr(line + 1);
    } else if (!herald::aksk::sign(request, "AK-A", k_secret_key, date).ok()) {
      __builtin_trap();
    }
  } else if (*token != '\0') {
    request.headers.emplace_back("X-Auth-Token", token);
  }

  const auto response = world->router.handle(request);
  // What every answer must satisfy, whatever came in.
  if (response.status < 200 || response.status > 599) __builtin_trap();
  if (response.header("X-Request-Id").size() != 36) __builtin_trap();
  if (response.status != 204 && response.header("Content-Type").empty()) __builtin_trap();
  // The secret key and the header's token never appear in an answer, unless some input of this
  // world carried them as data (a name may be spelled like either, and answers quote names).
  for (const char* candidate : k_secrets) {
    const auto carries = [candidate](std::string_view text) {
      return text.find(candidate) != std::string_view::npos;
    };
    if (carries(request.target) || carries(request.body) ||
        std::ranges::any_of(request.headers, [&](const auto& h) { return carries(h.second); })) {
      world->secrets_seen_as_data.insert(candidate);
    }
  }
  if (!world->secrets_seen_as_data.contains(k_secret_key) &&
      response.body.find(k_secret_key) != std::string::npos) {
    __builtin_trap();
  }
  if (*token != '\0' && !world->secrets_seen_as_data.contains(token) &&
      response.body.find(token) != std::string::npos) {
    __builtin_trap();
  }
  if (selector == 0xff) world->clock->advance(std::chrono::hours(1));
  if (selector == 0xfe) world->engine.run_due();
  return 0;
}
