// libFuzzer target over the bytes of a connection: herald-server's RequestReader (Beast's parser
// and the server's own checks) and the conversion to router requests, then the router itself.
//
// Byte 0 of an input picks the mode and how the rest is cut into reads:
// - mode 0: the rest is a connection's raw input, fed in reads of 1 to 16 bytes or whole;
// - mode 1: the rest is the trailer section of a chunked POST whose header section herald writes
//   itself: no field of it may ever appear among the request's headers.
// What must hold for every input is checked with __builtin_trap().
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "herald/herald.hpp"
#include "herald/rest.hpp"
#include "request_reader.hpp"

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

struct World {
  World()
      : engine(herald::Options{.max_events_per_secret = 3}),
        // Private endpoints allowed: the SSRF guard resolves names, and a fuzzer must not wait
        // on DNS (the guard has tests of its own). No pushes are started: nothing is sent.
        topics(std::make_shared<herald::SmnTopics>(
            "region-1", herald::SmnOptions{.allow_private_endpoints = true})),
        router(engine, *topics, {{"token-a", "project-a"}}) {
    sink = engine.connect_sink("SMN", herald::smn_sink(topics));
  }
  herald::Engine engine;
  std::shared_ptr<herald::SmnTopics> topics;
  herald::RestRouter router;
  herald::ScopedConnection sink;
};

void check_response(const herald::HttpResponse& response) {
  if (response.status < 200 || response.status > 599) __builtin_trap();
  if (response.header("X-Request-Id").size() != 36) __builtin_trap();
}

void check_request(World& world, const herald::server::ReadRequest& read) {
  const auto& request = read.request;
  if (request.method.empty()) __builtin_trap();
  if (request.body.size() > herald::k_max_body_bytes) __builtin_trap();
  if (read.head != (request.method == "HEAD")) __builtin_trap();
  if (read.version != 10 && read.version != 11) __builtin_trap();
  for (const auto& [name, value] : request.headers) {
    // RFC 9112 §6.1: no Transfer-Encoding on HTTP/1.0 gets through.
    if (read.version == 10 && iequals(name, "Transfer-Encoding")) __builtin_trap();
  }
  const auto response = world.router.handle(request);
  check_response(response);
  if (read.head) {
    // HEAD answers as GET would (the transport drops the body).
    auto as_get = request;
    as_get.method = "GET";
    if (world.router.handle(as_get).status != response.status) __builtin_trap();
  }
}

// Feeds `input` as a connection would deliver it, `step` bytes per read (0: all at once),
// handling every complete request. Answers the requests read.
std::vector<herald::server::ReadRequest> read_all(std::string_view input, std::size_t step) {
  herald::server::RequestReader reader;
  std::vector<herald::server::ReadRequest> requests;
  std::string buffered;  // what the reader did not consume yet
  std::size_t offered = 0;
  while (requests.size() < 16) {
    const std::size_t take =
        step == 0 ? input.size() - offered : std::min(step, input.size() - offered);
    buffered.append(input.substr(offered, take));
    offered += take;
    const std::size_t used = reader.feed(buffered);
    if (used > buffered.size()) __builtin_trap();
    buffered.erase(0, used);
    using State = herald::server::RequestReader::State;
    if (reader.state() == State::failed) {
      const int status = reader.failure().http_status();
      if (status != 400 && status != 413 && status != 414 && status != 431 && status != 501 &&
          status != 505) {
        __builtin_trap();
      }
      break;
    }
    if (reader.state() == State::complete) {
      requests.push_back(reader.take());
      continue;  // a pipelined request may follow in what is buffered
    }
    if (offered == input.size() && take == 0) break;  // need more, and there is no more
  }
  return requests;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::unique_ptr<World> world;
  static std::size_t runs = 0;
  if (!world || ++runs % 4096 == 0) world = std::make_unique<World>();
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t step = (selector >> 1) % 17;  // 0: whole

  if ((selector & 1) == 0) {
    for (const auto& read : read_all(rest, step)) check_request(*world, read);
    return 0;
  }

  // A chunked POST whose trailer section is the fuzzer's: nothing of it becomes a header.
  const std::string header =
      "POST /v1/project-a/csms/lifecycle-events HTTP/1.1\r\nHost: h\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  std::string trailers(rest.substr(0, rest.find("\r\n\r\n")));
  const std::string input = header + "2\r\n{}\r\n0\r\n" + trailers + "\r\n\r\n";
  const auto requests = read_all(input, step);
  // The trailer section may end early and leave the fuzzer's bytes as a pipelined request of
  // their own: those get the general checks; the POST herald wrote gets these.
  for (std::size_t i = 1; i < requests.size(); ++i) check_request(*world, requests[i]);
  if (!requests.empty()) {
    const auto& read = requests.front();
    if (read.request.headers.size() != 2) __builtin_trap();
    if (!iequals(read.request.headers[0].first, "Host") ||
        !iequals(read.request.headers[1].first, "Transfer-Encoding")) {
      __builtin_trap();
    }
    const auto response = world->router.handle(read.request);
    check_response(response);
    if (response.status != 401) __builtin_trap();  // no token in the header section
  }
  return 0;
}
