// Signs a CSMS request with AK/SK the way the official SDKs do, with herald's own signer
// (herald/aksk.hpp), and prints what goes on the wire.
//
//   herald-sign-request                      the SDK's worked example (spec/sdk-signing.md §8 A),
//                                            checked against the SDK's own signature
//   herald-sign-request AK SK PROJECT URL    a ListSecretEvents request to URL (http://host:port)
//                                            signed now, printed as a curl command
#include <cstdio>
#include <iostream>
#include <string>

#include "herald/aksk.hpp"

int main(int argc, char** argv) {
  if (argc == 1) {
    const std::string body =
        R"({"name":"demo-event","event_types":["SECRET_VERSION_CREATED","SECRET_VERSION_EXPIRED"],)"
        R"("state":"ENABLED","notification":{"target_type":"SMN","target_id":)"
        R"("urn:smn:cn-north-4:dc3b7c85759141a991da17423c0f2068:test-poc","target_name":"demo-smn-name"}})";
    herald::HttpRequest request{
        "POST", "/v1/dc3b7c85759141a991da17423c0f2068/csms/events", {}, body};
    request.headers = {{"Content-Type", "application/json"},
                       {"X-Project-Id", "dc3b7c85759141a991da17423c0f2068"},
                       {"Host", "127.0.0.1:8080"}};
    if (auto r = herald::aksk::sign(request, "HERALDEXAMPLEAK00001",
                                    "HeraldExampleSecretKey000000000000000001", "20261201T120000Z");
        !r) {
      std::cerr << r.error().message() << "\n";
      return 1;
    }
    std::cout << request.method << " " << request.target << " HTTP/1.1\n";
    for (const auto& [name, value] : request.headers) std::cout << name << ": " << value << "\n";
    std::cout << "\n" << request.body << "\n";
    const bool same =
        request.header("Authorization")
            .ends_with(
                "Signature=0d5f53ac3ed881384b6fbe1bb4aea312b2a93f712a0d6e42cbb19c759cdca2f4");
    std::cout << (same ? "signature matches the SDK's\n" : "signature differs from the SDK's\n");
    return same ? 0 : 1;
  }
  if (argc != 5) {
    std::cerr << "usage: herald-sign-request [AK SK PROJECT_ID http://HOST:PORT]\n";
    return 2;
  }
  const std::string url = argv[4];
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    std::cerr << "herald-sign-request: the URL must be http://HOST:PORT or https://HOST:PORT\n";
    return 2;
  }
  const std::string host =
      url.substr(scheme_end + 3, url.find('/', scheme_end + 3) - scheme_end - 3);
  herald::HttpRequest request{
      "GET", "/v1/" + std::string(argv[3]) + "/csms/events?limit=10", {}, {}};
  request.headers = {
      {"Content-Type", "application/json"}, {"X-Project-Id", argv[3]}, {"Host", host}};
  if (auto r = herald::aksk::sign(request, argv[1], argv[2]); !r) {
    std::cerr << "herald-sign-request: " << r.error().message() << "\n";
    return 2;
  }
  std::cout << "curl '" << url.substr(0, scheme_end + 3) << host << request.target << "'";
  for (const auto& [name, value] : request.headers) {
    if (name != "Host") std::cout << " \\\n  -H '" << name << ": " << value << "'";
  }
  std::cout << "\n";
  return 0;
}
