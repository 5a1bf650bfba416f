// herald::RestRouter: the CSMS wire format without a transport. It maps one HTTP request
// (method, target, headers, body) to one response (status, headers, body), exactly as the
// public CSMS "secret events" API answers, plus herald's extensions (docs/rest.md).
// herald-server puts it behind Boost.Beast; tests and other transports call it directly.
//
// Checks run in the contract's order: body size (413) → route (404) → method (405) → token
// (401/403) → path, query and body validation (400) → existence (404) → conflicts and quotas
// (400). Every response carries `X-Request-Id`, and `Content-Type:
// application/json;charset=UTF-8` unless it is a 204. Errors answer
// `{"error": {"error_code", "error_msg"}}`; a token never appears in a response. An unavailable
// store or a full delivery queue answers 503 HERALD.0503 with `Retry-After`, naming no file.
// HEAD is served wherever GET is, with the GET's status, headers and body: a transport sends
// the headers alone. A request with two X-Auth-Token headers answers 400 CSMS.0002.
//
// Thread-safety: handle() is safe for concurrent use. Lifetime: the Engine and SmnTopics must
// outlive the router.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/engine.hpp"
#include "herald/smn.hpp"

namespace herald {

/// Largest request body accepted: 1 MiB. A larger one answers 413 HERALD.0413.
inline constexpr std::size_t k_max_body_bytes = std::size_t{1} << 20;

/// Most query parameters one request may carry; more answer 400 CSMS.0002 ("query").
inline constexpr std::size_t k_max_query_parameters = 100;

struct HttpRequest {
  std::string method;  ///< "GET", "POST", …
  std::string target;  ///< origin-form: path and optional query, e.g. "/v1/p/csms/events?limit=2"
  std::vector<std::pair<std::string, std::string>> headers;  ///< names compared case-insensitively
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// The first header named `name` (case-insensitive), or empty.
  [[nodiscard]] std::string_view header(std::string_view name) const;
};

class RestRouter {
 public:
  /// `tokens` maps each accepted X-Auth-Token to the project it may act on.
  RestRouter(Engine& engine, SmnTopics& topics, std::map<std::string, std::string> tokens);

  [[nodiscard]] HttpResponse handle(const HttpRequest& request) const;

  /// The error response for `error`, as handle() would answer it (used by transports that
  /// answer before a request is complete, e.g. 413 on an oversized Content-Length).
  [[nodiscard]] static HttpResponse error_response(const Error& error);

 private:
  // GET subscribe_url / unsubscribe_url (unauthenticated: the token is the credential).
  HttpResponse token_link(const HttpRequest& request, bool confirm, std::string_view query_text,
                          std::string_view request_id) const;

  Engine& engine_;
  SmnTopics& topics_;
  const std::map<std::string, std::string, std::less<>> tokens_;
};

}  // namespace herald
