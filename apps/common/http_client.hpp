// A small synchronous HTTP/1.1 client (Boost.Beast inside http_client.cpp only) for the CLI, the
// end-to-end tests and the HTTP benchmark. One connection, kept alive, reopened when the server
// closed it.
//
// Not thread-safe: one owner per client.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/error.hpp"

namespace herald::http {

/// `http://HOST:PORT[/PREFIX]`.
struct Endpoint {
  std::string host;
  std::string port;
  std::string prefix;  ///< path prefix without a trailing slash, often empty
};

/// Parses an endpoint URL. Errors: invalid_argument naming what is wrong (only http is spoken).
Result<Endpoint> parse_endpoint(std::string_view url);

struct Response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  [[nodiscard]] std::string_view header(std::string_view name) const;
};

class Client {
 public:
  explicit Client(Endpoint endpoint, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Sends one request and reads its response. Errors: unavailable (connection refused, reset,
  /// timed out), naming the endpoint.
  Result<Response> request(std::string_view method, std::string_view target,
                           const std::vector<std::pair<std::string, std::string>>& headers = {},
                           std::string_view body = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::http
