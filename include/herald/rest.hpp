// herald::RestRouter: the CSMS wire format without a transport. It maps one HTTP request
// (method, target, headers, body) to one response (status, headers, body), exactly as the
// public CSMS "secret events" API answers, plus herald's extensions (docs/rest.md).
// herald-server puts it behind Boost.Beast; tests and other transports call it directly.
//
// Checks run in the contract's order: body size (413) → route (404) → method (405) → token
// (401/403) → path, query and body validation (400) → existence (404) → conflicts and quotas
// (400). A request authenticates with `X-Auth-Token` or with an AK/SK signature
// (`Authorization: SDK-HMAC-SHA256 …`, herald/aksk.hpp); with both, the signature decides.
// Every response carries `X-Request-Id` (the caller's own, 1–128 printable ASCII characters,
// echoed; else a new one), and `Content-Type: application/json;charset=UTF-8` unless it is a
// 204. Errors answer `{"error": {"error_code", "error_msg"}, "error_code", "error_msg"}`: the
// documented nested object and the flat fields the official SDKs read. A token or SK never
// appears in a response. An unavailable
// store or a full delivery queue answers 503 HERALD.0503 with `Retry-After`, naming no file.
// HEAD is served wherever GET is, with the GET's status, headers and body: a transport sends
// the headers alone. A request with two X-Auth-Token headers answers 400 CSMS.0002.
//
// Thread-safety: handle() is safe for concurrent use. Lifetime: the Engine and SmnTopics must
// outlive the router.
#pragma once

#include "herald/api_export.hpp"

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/aksk.hpp"
#include "herald/engine.hpp"
#include "herald/http_message.hpp"
#include "herald/metrics.hpp"
#include "herald/smn.hpp"

namespace herald {

/// Largest request body accepted: 1 MiB. A larger one answers 413 HERALD.0413.
inline constexpr std::size_t k_max_body_bytes = std::size_t{1} << 20;

/// Longest X-Request-Id echoed; a longer (or non-printable) one is replaced by a new id.
inline constexpr std::size_t k_max_request_id_bytes = 128;

/// Most query parameters one request may carry; more answer 400 CSMS.0002 ("query").
inline constexpr std::size_t k_max_query_parameters = 100;

/// Who may call the API: tokens (X-Auth-Token) and AK/SK credentials, each for one project.
struct HERALD_API_EXPORT Credentials {
  std::map<std::string, std::string> tokens;  ///< token → the project it may act on
  std::vector<aksk::Credential> keys;         ///< access keys, each unique
};

/// The credentials of an auth file (contract §4): `{"tokens": [{"token", "project_id"}],
/// "credentials": [{"ak", "sk", "project_id"}]}`, both lists optional. Errors: invalid_argument
/// naming what is wrong (malformed JSON, an unknown or missing key, a bad project id, an access
/// key given twice); the message never contains a token or an SK.
[[nodiscard]] HERALD_API_EXPORT Result<Credentials> parse_auth_file(std::string_view json);

/// Checks `credentials` as the router needs them: non-empty tokens and keys, valid project ids,
/// each access key once and of at most aksk::k_max_access_key_bytes characters without
/// spaces or commas. Errors: invalid_argument naming the problem (never the secret).
[[nodiscard]] HERALD_API_EXPORT Result<void> check_credentials(const Credentials& credentials);

/// What a transport may log or count of a request, told by RestRouter::handle: never a name
/// beyond the project, never a credential.
struct HERALD_API_EXPORT RequestFacts {
  /// The route's path template as docs/rest.md writes it (`/v1/{project_id}/csms/events`), or
  /// "unmatched" for a path no route serves. Static storage.
  std::string_view route = "unmatched";
  /// The path's project id when it is a valid one, else empty.
  std::string project;
};

/// One route of the router: its path template and the methods it serves ("GET, HEAD, POST").
struct HERALD_API_EXPORT RouteInfo {
  std::string_view path_template;
  std::string_view methods;
};

class HERALD_API_EXPORT RestRouter {
 public:
  /// `tokens` maps each accepted X-Auth-Token to the project it may act on.
  RestRouter(Engine& engine, SmnTopics& topics, std::map<std::string, std::string> tokens);
  /// Accepts tokens and AK/SK signatures; `clock` (usually system_clock()) judges X-Sdk-Date
  /// (±15 minutes). Throws std::invalid_argument when check_credentials(credentials) fails.
  RestRouter(Engine& engine, SmnTopics& topics, Credentials credentials,
             std::shared_ptr<Clock> clock);
  ~RestRouter();
  RestRouter(const RestRouter&) = delete;
  RestRouter& operator=(const RestRouter&) = delete;

  [[nodiscard]] HttpResponse handle(const HttpRequest& request) const;

  /// Every route served (with set_metrics; /metrics is no route without it). Static storage.
  [[nodiscard]] static std::vector<RouteInfo> route_table();
  /// As handle(request), and fills `facts` (when not null) for the transport's log and metrics.
  [[nodiscard]] HttpResponse handle(const HttpRequest& request, RequestFacts* facts) const;

  /// Replaces every token and key at once (e.g. an auth file re-read on SIGHUP). Requests in
  /// flight finish with the credentials they started with. Safe to call during handle().
  /// Throws std::invalid_argument (and keeps the old ones) when check_credentials fails.
  void set_credentials(Credentials credentials);

  /// An extra condition of `GET /readyz` beside the store's (e.g. a broker's connection): an
  /// error makes it answer 503 with the error's message as the reason. Safe to call any time.
  void set_readiness_check(std::function<Result<void>()> check);

  /// Serves `GET /metrics` (Prometheus text format 0.0.4, without credentials) from `metrics`;
  /// without it that path is no route. Set before the first request.
  void set_metrics(std::shared_ptr<Metrics> metrics);

  /// The error response for `error`, as handle() would answer it (used by transports that
  /// answer before a request is complete, e.g. 413 on an oversized Content-Length).
  [[nodiscard]] static HttpResponse error_response(const Error& error);

 private:
  struct Table;
  // Errors in `credentials` throw std::invalid_argument (check_credentials says why).
  static std::shared_ptr<const Table> make_table(Credentials credentials);
  [[nodiscard]] std::shared_ptr<const Table> table() const;
  // Authenticates the request for the path's project: that project, or the 401/403/400 answer.
  [[nodiscard]] Result<std::string> authenticate(const HttpRequest& request,
                                                 std::string_view raw_project) const;
  // GET /readyz: 200, or 503 {"status": "unavailable", "reason"}.
  [[nodiscard]] HttpResponse readiness() const;
  // GET subscribe_url / unsubscribe_url (unauthenticated: the token is the credential).
  HttpResponse token_link(const HttpRequest& request, bool confirm, std::string_view query_text,
                          std::string_view request_id) const;

  Engine& engine_;
  SmnTopics& topics_;
  const std::shared_ptr<Clock> clock_;
  mutable std::mutex table_mutex_;
  std::shared_ptr<const Table> table_;
  std::shared_ptr<const std::function<Result<void>()>> readiness_check_;
  std::shared_ptr<Metrics> metrics_;
};

}  // namespace herald
