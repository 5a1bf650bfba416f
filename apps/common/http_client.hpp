// A small synchronous HTTP/1.1 client (Boost.Beast inside http_client.cpp only) for the CLI, the
// end-to-end tests and the HTTP benchmark. One connection, kept alive, reopened when the server
// closed it. Speaks https:// with certificate and host name verification (OpenSSL), and signs
// each request with AK/SK (herald/aksk.hpp) when given a key.
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

/// `http[s]://HOST[:PORT][/PREFIX]`.
struct Endpoint {
  std::string host;
  std::string port;
  std::string prefix;  ///< path prefix without a trailing slash, often empty
  bool tls = false;    ///< https
};

/// Parses an endpoint URL (the port defaults to 80, or 443 for https). Errors: invalid_argument
/// naming what is wrong.
Result<Endpoint> parse_endpoint(std::string_view url);

struct Response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  [[nodiscard]] std::string_view header(std::string_view name) const;
};

struct ClientOptions {
  /// Each request's limit (connect, send, answer). Default: 30 s.
  std::chrono::milliseconds timeout{30'000};
  /// https: trust the certificates of this PEM file instead of the system's. Default: none.
  std::string ca_file;
  /// When both are set, every request is signed with them (SDK-HMAC-SHA256). Default: unset.
  std::string access_key;
  std::string secret_key;
  /// Sent (and signed) as X-Project-Id when set, as the SDKs do. Default: unset.
  std::string project_id;
};

class Client {
 public:
  explicit Client(Endpoint endpoint, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  Client(Endpoint endpoint, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Sends one request and reads its response. Errors: unavailable (connection refused, reset,
  /// timed out, a certificate that does not verify), naming the endpoint.
  Result<Response> request(std::string_view method, std::string_view target,
                           const std::vector<std::pair<std::string, std::string>>& headers = {},
                           std::string_view body = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::http
