// herald::RestRouter: routes, auth and the order of checks. JSON lives in codec.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <unordered_set>

#include "api/codec.hpp"
#include "herald/rest.hpp"
#include "model/uuid.hpp"
#include "validate/validate.hpp"

namespace herald {
namespace {

constexpr std::string_view k_json = "application/json;charset=UTF-8";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// A whole decimal number without sign, or nullopt.
std::optional<std::size_t> parse_whole_number(std::string_view text) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Strict percent-decoding: every '%' is followed by two hex digits. With `plus_is_space`
// (query strings), '+' decodes to a space.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Error invalid(std::string message) {
  return Error{ErrorCode::invalid_argument, std::move(message)};
}

// A decoded path segment, or CSMS.0002 naming `field`.
Result<std::string> decode_segment(std::string_view raw, std::string_view field) {
  auto decoded = percent_decode(raw, false);
  if (!decoded) return invalid(fmt::format("{}: bad percent-encoding in the path", field));
  return std::move(*decoded);
}

// The query string as (name, value) pairs, in linear time; a name given twice, bad encoding, or
// more than k_max_query_parameters pairs is CSMS.0002.
using Query = std::vector<std::pair<std::string, std::string>>;
Result<Query> parse_query(std::string_view text) {
  Query query;
  std::unordered_set<std::string_view> names;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty()) continue;
    if (query.size() == k_max_query_parameters) {
      return invalid(fmt::format("query: more than {} parameters", k_max_query_parameters));
    }
    const auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    if (!name) return invalid("query: bad percent-encoding in a parameter name");
    auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!value) return invalid(fmt::format("{}: bad percent-encoding", *name));
    query.emplace_back(std::move(*name), std::move(*value));
  }
  // The views point into `query`, which no longer grows.
  for (const auto& [name, value] : query) {
    if (!names.insert(name).second) return invalid(fmt::format("{}: given more than once", name));
  }
  return query;
}

// The value of `name`; an empty value counts as absent (contract §2).
std::optional<std::string_view> query_value(const Query& query, std::string_view name) {
  for (const auto& [key, value] : query) {
    if (key == name && !value.empty()) return value;
  }
  return std::nullopt;
}

enum class RouteId {
  events,
  event,
  records,
  lifecycle,
  secrets,
  secret,
  version,
  topics,
  topic,
  subscriptions,
  subscription,
  signing_secret,
  deliveries,
};

// Every route the router serves, in RouteId order: its path template as docs/rest.md writes it
// (logs, metrics, docs/openapi.yaml) and its methods (the Allow header).
constexpr RouteInfo k_routes[] = {
    {"/v1/{project_id}/csms/events", "GET, HEAD, POST"},
    {"/v1/{project_id}/csms/events/{event_name}", "GET, HEAD, PUT, DELETE"},
    {"/v1/{project_id}/csms/notification-records", "GET, HEAD"},
    {"/v1/{project_id}/csms/lifecycle-events", "POST"},
    {"/v1/{project_id}/secrets", "GET, HEAD"},
    {"/v1/{project_id}/secrets/{secret_name}", "GET, HEAD, PUT, DELETE"},
    {"/v1/{project_id}/secrets/{secret_name}/versions/{version_id}", "GET, HEAD, PUT"},
    {"/v2/{project_id}/notifications/topics", "GET, HEAD, POST"},
    {"/v2/{project_id}/notifications/topics/{topic_urn}", "GET, HEAD, DELETE"},
    {"/v2/{project_id}/notifications/topics/{topic_urn}/subscriptions", "GET, HEAD, POST"},
    {"/v2/{project_id}/notifications/subscriptions/{subscription_urn}", "DELETE"},
    {"/v2/{project_id}/notifications/subscriptions/{subscription_urn}/signing-secret", "POST"},
    {"/v2/{project_id}/notifications/topics/{topic_urn}/deliveries", "GET, HEAD"},
};

// Served before the project routes, without credentials.
constexpr RouteInfo k_open_routes[] = {
    {"/healthz", "GET, HEAD"},
    {"/readyz", "GET, HEAD"},
    {"/metrics", "GET, HEAD"},
    {"/v2/smn/certificates/{key_id}.pem", "GET, HEAD"},
    {"/v2/smn/subscriptions/confirm", "GET, HEAD"},
    {"/v2/smn/subscriptions/unsubscribe", "GET, HEAD"},
};

struct Route {
  RouteId id;
  std::vector<std::string_view> variables;  // raw, still percent-encoded; [0] is the project
  std::string_view allowed;                 // the Allow header
  std::string_view path_template;           // as docs/rest.md writes it (logs, metrics)
};

Route route(RouteId id, std::vector<std::string_view> variables) {
  const RouteInfo& info = k_routes[static_cast<std::size_t>(id)];
  return Route{id, std::move(variables), info.methods, info.path_template};
}

// Matches the raw path segments against the routes. nullopt: no route (404).
std::optional<Route> match(const std::vector<std::string_view>& s) {
  const auto is = [&](std::size_t i, std::string_view literal) {
    return i < s.size() && s[i] == literal;
  };
  const auto var = [&](std::size_t i) { return i < s.size() && !s[i].empty(); };
  if (!var(1)) return std::nullopt;
  if (is(0, "v1") && is(2, "csms")) {
    if (s.size() == 4 && is(3, "events")) {
      return route(RouteId::events, {s[1]});
    }
    if (s.size() == 5 && is(3, "events") && var(4)) {
      return route(RouteId::event, {s[1], s[4]});
    }
    if (s.size() == 4 && is(3, "notification-records")) {
      return route(RouteId::records, {s[1]});
    }
    if (s.size() == 4 && is(3, "lifecycle-events")) {
      return route(RouteId::lifecycle, {s[1]});
    }
    return std::nullopt;
  }
  if (is(0, "v1") && is(2, "secrets")) {
    if (s.size() == 3) return route(RouteId::secrets, {s[1]});
    if (s.size() == 4 && var(3)) {
      return route(RouteId::secret, {s[1], s[3]});
    }
    if (s.size() == 6 && var(3) && is(4, "versions") && var(5)) {
      return route(RouteId::version, {s[1], s[3], s[5]});
    }
    return std::nullopt;
  }
  if (is(0, "v2") && is(2, "notifications") && is(3, "topics")) {
    if (s.size() == 4) return route(RouteId::topics, {s[1]});
    if (s.size() == 5 && var(4)) {
      return route(RouteId::topic, {s[1], s[4]});
    }
    if (s.size() == 6 && var(4) && is(5, "subscriptions")) {
      return route(RouteId::subscriptions, {s[1], s[4]});
    }
    if (s.size() == 6 && var(4) && is(5, "deliveries")) {
      return route(RouteId::deliveries, {s[1], s[4]});
    }
    return std::nullopt;
  }
  if (is(0, "v2") && is(2, "notifications") && is(3, "subscriptions") && var(4)) {
    if (s.size() == 5) return route(RouteId::subscription, {s[1], s[4]});
    if (s.size() == 6 && is(5, "signing-secret")) {
      return route(RouteId::signing_secret, {s[1], s[4]});
    }
  }
  return std::nullopt;
}

bool method_allowed(std::string_view allowed, std::string_view method) {
  while (!allowed.empty()) {
    const auto comma = allowed.find(", ");
    if (allowed.substr(0, comma) == method) return true;
    allowed = comma == std::string_view::npos ? std::string_view{} : allowed.substr(comma + 2);
  }
  return false;
}

HttpResponse json_response(int status, std::string body) {
  return HttpResponse{status, {{"Content-Type", std::string(k_json)}}, std::move(body)};
}

}  // namespace

std::vector<RouteInfo> RestRouter::route_table() {
  std::vector<RouteInfo> all(std::begin(k_routes), std::end(k_routes));
  all.insert(all.end(), std::begin(k_open_routes), std::end(k_open_routes));
  return all;
}

std::string_view HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

std::size_t HttpRequest::header_count(std::string_view name) const {
  return static_cast<std::size_t>(
      std::count_if(headers.begin(), headers.end(),
                    [&](const auto& header) { return iequals(header.first, name); }));
}

Result<void> check_credentials(const Credentials& credentials) {
  for (const auto& [token, project] : credentials.tokens) {
    if (token.empty()) return invalid("token: must not be empty");
    if (auto r = validate::project_id(project); !r) return r.error();
  }
  std::unordered_set<std::string_view> keys;
  for (const auto& key : credentials.keys) {
    const auto& ak = key.access_key;
    if (ak.empty() || ak.size() > aksk::k_max_access_key_bytes ||
        ak.find_first_of(" ,=;\t") != std::string::npos) {
      return invalid(
          fmt::format("ak: must be 1 to {} characters without spaces, commas, '=' or ';'",
                      aksk::k_max_access_key_bytes));
    }
    if (key.secret_key.empty()) return invalid(fmt::format("sk of {}: must not be empty", ak));
    if (auto r = validate::project_id(key.project_id); !r) return r.error();
    if (!keys.insert(ak).second) return invalid(fmt::format("ak {}: given more than once", ak));
  }
  return {};
}

struct RestRouter::Table {
  std::map<std::string, std::string, std::less<>> tokens;
  std::map<std::string, aksk::Credential, std::less<>> keys;
};

std::shared_ptr<const RestRouter::Table> RestRouter::make_table(Credentials credentials) {
  if (auto r = check_credentials(credentials); !r) throw std::invalid_argument(r.error().message());
  auto table = std::make_shared<RestRouter::Table>();
  table->tokens.insert(credentials.tokens.begin(), credentials.tokens.end());
  for (auto& key : credentials.keys) {
    std::string ak = key.access_key;
    table->keys.emplace(std::move(ak), std::move(key));
  }
  return table;
}

RestRouter::RestRouter(Engine& engine, SmnTopics& topics, std::map<std::string, std::string> tokens)
    : RestRouter(engine, topics, Credentials{std::move(tokens), {}}, system_clock()) {}

RestRouter::RestRouter(Engine& engine, SmnTopics& topics, Credentials credentials,
                       std::shared_ptr<Clock> clock)
    : engine_(engine),
      topics_(topics),
      clock_(std::move(clock)),
      table_(make_table(std::move(credentials))) {}

RestRouter::~RestRouter() = default;

void RestRouter::set_credentials(Credentials credentials) {
  auto table = make_table(std::move(credentials));
  std::lock_guard lock(table_mutex_);
  table_ = std::move(table);
}

std::shared_ptr<const RestRouter::Table> RestRouter::table() const {
  std::lock_guard lock(table_mutex_);
  return table_;
}

Result<std::string> RestRouter::authenticate(const HttpRequest& request,
                                             std::string_view raw_project) const {
  const auto table = this->table();
  const auto project = percent_decode(raw_project, false);
  if (request.header_count("Authorization") > 0) {
    // AK/SK: the signature decides, whatever X-Auth-Token says (contract §4).
    auto credential = aksk::verify(
        request,
        [&](std::string_view ak) -> std::optional<aksk::Credential> {
          const auto it = table->keys.find(ak);
          if (it == table->keys.end()) return std::nullopt;
          return it->second;
        },
        clock_->now());
    if (!credential) return std::move(credential).error();
    if (!project || *project != credential->project_id) {
      return Error{ErrorCode::forbidden,
                   "Authorization: the access key is not valid for this project"};
    }
    for (const auto& [name, value] : request.headers) {
      if (iequals(name, "X-Project-Id") && value != credential->project_id) {
        return Error{ErrorCode::forbidden, "X-Project-Id: not the project of the access key"};
      }
    }
    return std::move(*project);
  }
  if (request.header_count("X-Auth-Token") > 1) {
    // Which one counts would differ between herald and whatever checked them before it.
    return invalid("X-Auth-Token: given more than once");
  }
  const std::string_view token = request.header("X-Auth-Token");
  const auto owner = table->tokens.find(token);
  if (token.empty() || owner == table->tokens.end()) {
    return Error{ErrorCode::unauthenticated,
                 "X-Auth-Token or Authorization: missing or not recognised"};
  }
  if (!project || *project != owner->second) {
    return Error{ErrorCode::forbidden, "X-Auth-Token: not valid for this project"};
  }
  return std::move(*project);
}

HttpResponse RestRouter::error_response(const Error& error) {
  auto response = json_response(error.http_status(), api::encode_error(error));
  // Unavailable is temporary (a store that cannot write now, a full delivery queue).
  if (error.code() == ErrorCode::unavailable) response.headers.emplace_back("Retry-After", "1");
  return response;
}

namespace {
// 405 with the Allow header: the methods `allowed` lists ("GET, HEAD").
HttpResponse method_not_allowed(std::string_view allowed) {
  auto denied = RestRouter::error_response(Error{
      ErrorCode::method_not_allowed, fmt::format("method not allowed here; allowed: {}", allowed)});
  denied.headers.emplace_back("Allow", std::string(allowed));
  return denied;
}
}  // namespace

namespace {

// Everything after auth: validation, existence, conflicts. Throws nothing it expects.
class Dispatcher {
 public:
  Dispatcher(Engine& engine, SmnTopics& topics, const HttpRequest& request, const Route& route,
             const Query& query, std::string project, std::string_view request_id)
      : engine_(engine),
        topics_(topics),
        request_(request),
        route_(route),
        query_(query),
        project_(std::move(project)),
        request_id_(request_id) {}

  HttpResponse run() {
    // HEAD is answered as GET; the transport sends the headers alone (RFC 9110 §9.3.2).
    const std::string_view method =
        request_.method == "HEAD" ? std::string_view("GET") : std::string_view(request_.method);
    switch (route_.id) {
      case RouteId::events: return method == "POST" ? create_event() : list_events();
      case RouteId::event:
        if (method == "GET") return show_event();
        if (method == "PUT") return update_event();
        return delete_event();
      case RouteId::records: return list_records();
      case RouteId::lifecycle: return trigger();
      case RouteId::secrets: return list_secrets();
      case RouteId::secret:
        if (method == "PUT") return set_subscriptions();
        if (method == "DELETE") return forget_secret();
        return show_secret();
      case RouteId::version: return method == "PUT" ? set_expiry() : show_expiry();
      case RouteId::topics: return method == "POST" ? create_topic() : list_topics();
      case RouteId::topic: return method == "GET" ? show_topic() : delete_topic();
      case RouteId::subscriptions:
        return method == "POST" ? add_subscription() : list_subscriptions();
      case RouteId::subscription: return delete_subscription();
      case RouteId::signing_secret: return rotate_signing_secret();
      case RouteId::deliveries: return list_deliveries();
    }
    return RestRouter::error_response(Error{ErrorCode::internal, "internal error"});
  }

 private:
  static HttpResponse fail(const Error& error) { return RestRouter::error_response(error); }

  template <typename T, typename Encode>
  static HttpResponse answer(Result<T> result, Encode encode, int status = 200) {
    if (!result) return fail(result.error());
    return json_response(status, encode(result.value()));
  }

  // The decoded path variable `index`, validated as a name by `check`.
  Result<std::string> variable(std::size_t index, std::string_view field,
                               Result<void> (*check)(std::string_view, std::string_view)) {
    auto decoded = decode_segment(route_.variables.at(index), field);
    if (!decoded) return decoded;
    if (check != nullptr) {
      if (auto r = check(*decoded, field); !r) return r.error();
    }
    return decoded;
  }

  Result<PageQuery> page_query(Result<void> (*check_marker)(std::string_view, std::string_view)) {
    auto limit = parse_page_limit(query_value(query_, "limit"));
    if (!limit) return std::move(limit).error();
    PageQuery page{.limit = *limit};
    if (const auto marker = query_value(query_, "marker")) {
      if (auto r = check_marker(*marker, "marker"); !r) return r.error();
      page.marker = std::string(*marker);
    }
    return page;
  }

  HttpResponse create_event() {
    auto spec = api::decode_event_spec(request_.body);
    if (!spec) return fail(spec.error());
    return answer(engine_.create_event(project_, *spec), api::encode_event);
  }
  HttpResponse list_events() {
    auto page = page_query(&validate::event_name);
    if (!page) return fail(page.error());
    return answer(engine_.list_events(project_, *page), api::encode_events);
  }
  HttpResponse show_event() {
    auto name = variable(1, "event_name", &validate::event_name);
    if (!name) return fail(name.error());
    return answer(engine_.show_event(project_, *name), api::encode_event);
  }
  HttpResponse update_event() {
    auto name = variable(1, "event_name", &validate::event_name);
    if (!name) return fail(name.error());
    auto patch = api::decode_event_patch(request_.body);
    if (!patch) return fail(patch.error());
    return answer(engine_.update_event(project_, *name, *patch), api::encode_event);
  }
  HttpResponse delete_event() {
    auto name = variable(1, "event_name", &validate::event_name);
    if (!name) return fail(name.error());
    if (auto r = engine_.delete_event(project_, *name); !r) return fail(r.error());
    return HttpResponse{204, {}, {}};
  }
  HttpResponse list_records() {
    RecordQuery records;
    auto limit = query_value(query_, "limit") ? parse_page_limit(query_value(query_, "limit"))
                                              : Result<std::size_t>(std::size_t{1000});
    if (!limit) return fail(limit.error());
    records.limit = *limit;
    records.marker = std::string(query_value(query_, "marker").value_or(""));
    records.event_name = std::string(query_value(query_, "event_name").value_or(""));
    records.secret_name = std::string(query_value(query_, "secret_name").value_or(""));
    if (const auto status = query_value(query_, "notification_status")) {
      records.status = parse_notification_status(*status);
      if (!records.status) {
        return fail(invalid("notification_status: must be SUCCESS, FAIL or INVALID"));
      }
    }
    return answer(engine_.list_records(project_, records), api::encode_records);
  }
  HttpResponse trigger() {
    auto request = api::decode_lifecycle(request_.body);
    if (!request) return fail(request.error());
    return answer(
        engine_.trigger(project_, LifecycleEvent{request->secret_name, request->event_type,
                                                 request->secret_type, request->version_id}),
        api::encode_trigger);
  }
  HttpResponse list_secrets() {
    auto page = page_query(&validate::secret_name);
    if (!page) return fail(page.error());
    const auto event_name = query_value(query_, "event_name").value_or("");
    return answer(engine_.list_secrets(project_, event_name, *page), api::encode_secrets);
  }
  HttpResponse show_secret() {
    auto name = variable(1, "secret_name", &validate::secret_name);
    if (!name) return fail(name.error());
    return answer(engine_.show_secret(project_, *name), api::encode_secret);
  }
  HttpResponse set_subscriptions() {
    auto name = variable(1, "secret_name", &validate::secret_name);
    if (!name) return fail(name.error());
    auto names = api::decode_subscriptions(request_.body);
    if (!names) return fail(names.error());
    return answer(engine_.set_subscriptions(project_, *name, *names), api::encode_secret);
  }
  HttpResponse forget_secret() {
    auto name = variable(1, "secret_name", &validate::secret_name);
    if (!name) return fail(name.error());
    if (auto r = engine_.forget_secret(project_, *name); !r) return fail(r.error());
    return HttpResponse{204, {}, {}};
  }
  HttpResponse set_expiry() {
    auto secret = variable(1, "secret_name", &validate::secret_name);
    if (!secret) return fail(secret.error());
    auto version = variable(2, "version_id", &validate::version_id);
    if (!version) return fail(version.error());
    auto expire_time = api::decode_expire_time(request_.body);
    if (!expire_time) return fail(expire_time.error());
    return answer(
        engine_.set_version_expiry(project_, *secret, *version, from_epoch_ms(*expire_time)),
        api::encode_version);
  }
  HttpResponse show_expiry() {
    auto secret = variable(1, "secret_name", &validate::secret_name);
    if (!secret) return fail(secret.error());
    auto version = variable(2, "version_id", &validate::version_id);
    if (!version) return fail(version.error());
    return answer(engine_.show_version_expiry(project_, *secret, *version),
                  api::encode_version_show);
  }
  HttpResponse create_topic() {
    auto request = api::decode_topic(request_.body);
    if (!request) return fail(request.error());
    auto created = topics_.create_topic(project_, request->name, request->display_name);
    if (!created) return fail(created.error());
    return json_response(created->created ? 201 : 200,
                         api::encode_topic_created(request_id_, created->topic));
  }
  // SMN's paging: offset (default 0) and limit (1..100, default 100).
  Result<std::pair<std::size_t, std::size_t>> smn_page() {
    std::size_t offset = 0;
    std::size_t limit = 100;
    if (const auto text = query_value(query_, "offset")) {
      const auto parsed = parse_whole_number(*text);
      if (!parsed) return invalid("offset: must be a whole number from 0");
      offset = *parsed;
    }
    if (const auto text = query_value(query_, "limit")) {
      const auto parsed = parse_whole_number(*text);
      if (!parsed || *parsed < 1 || *parsed > 100) {
        return invalid("limit: must be a whole number from 1 to 100");
      }
      limit = *parsed;
    }
    return std::pair{offset, limit};
  }
  HttpResponse list_topics() {
    auto page = smn_page();
    if (!page) return fail(page.error());
    const auto [offset, limit] = *page;
    auto topics = topics_.list_topics(project_, offset, limit);
    if (!topics) return fail(topics.error());
    return json_response(200, api::encode_topics(request_id_, *topics));
  }
  HttpResponse show_topic() {
    auto urn = variable(1, "topic_urn", nullptr);
    if (!urn) return fail(urn.error());
    auto topic = topics_.show_topic(project_, *urn);
    if (!topic) return fail(topic.error());
    return json_response(200, api::encode_topic(request_id_, *topic));
  }
  HttpResponse delete_topic() {
    auto urn = variable(1, "topic_urn", nullptr);
    if (!urn) return fail(urn.error());
    if (auto r = topics_.delete_topic(project_, *urn); !r) return fail(r.error());
    return json_response(200, api::encode_request_id(request_id_));
  }

  HttpResponse add_subscription() {
    auto urn = variable(1, "topic_urn", nullptr);
    if (!urn) return fail(urn.error());
    auto request = api::decode_subscription(request_.body);
    if (!request) return fail(request.error());
    auto added = topics_.add_subscription(project_, *urn, request->protocol, request->endpoint,
                                          request->remark);
    if (!added) return fail(added.error());
    return json_response(200, api::encode_subscription_added(request_id_, *added));
  }
  HttpResponse list_subscriptions() {
    auto urn = variable(1, "topic_urn", nullptr);
    if (!urn) return fail(urn.error());
    auto page = smn_page();
    if (!page) return fail(page.error());
    const auto [offset, limit] = *page;
    auto listed = topics_.list_subscriptions(project_, *urn, offset, limit);
    if (!listed) return fail(listed.error());
    return json_response(200, api::encode_subscriptions(request_id_, *listed));
  }
  HttpResponse delete_subscription() {
    auto urn = variable(1, "subscription_urn", nullptr);
    if (!urn) return fail(urn.error());
    if (auto r = topics_.delete_subscription(project_, *urn); !r) return fail(r.error());
    return json_response(200, api::encode_request_id(request_id_));
  }
  HttpResponse rotate_signing_secret() {
    auto urn = variable(1, "subscription_urn", nullptr);
    if (!urn) return fail(urn.error());
    auto secret = topics_.rotate_signing_secret(project_, *urn);
    if (!secret) return fail(secret.error());
    return json_response(200, api::encode_signing_secret(request_id_, *urn, *secret));
  }

  HttpResponse list_deliveries() {
    auto urn = variable(1, "topic_urn", nullptr);
    if (!urn) return fail(urn.error());
    std::size_t limit = 100;
    if (const auto text = query_value(query_, "limit")) {
      const auto parsed = parse_whole_number(*text);
      if (!parsed || *parsed < 1 || *parsed > 1000) {
        return fail(invalid("limit: must be a whole number from 1 to 1000"));
      }
      limit = *parsed;
    }
    auto page = topics_.deliveries(project_, *urn, query_value(query_, "status"), limit,
                                   query_value(query_, "marker").value_or(""));
    if (!page) return fail(page.error());
    return json_response(200, api::encode_deliveries(request_id_, *page,
                                                     query_value(query_, "marker").value_or("")));
  }

  Engine& engine_;
  SmnTopics& topics_;
  const HttpRequest& request_;
  const Route& route_;
  const Query& query_;
  const std::string project_;
  const std::string_view request_id_;
};

}  // namespace

void RestRouter::set_metrics(std::shared_ptr<Metrics> metrics) { metrics_ = std::move(metrics); }

void RestRouter::set_readiness_check(std::function<Result<void>()> check) {
  std::lock_guard lock(table_mutex_);
  readiness_check_ = std::make_shared<const std::function<Result<void>()>>(std::move(check));
}

HttpResponse RestRouter::readiness() const {
  auto ready = engine_.check_store_writable();
  if (ready) {
    std::shared_ptr<const std::function<Result<void>()>> extra;
    {
      std::lock_guard lock(table_mutex_);
      extra = readiness_check_;
    }
    if (extra && *extra) ready = (*extra)();
  }
  if (ready) return json_response(200, R"({"status":"ok"})");
  // The reason names what is down (the store, the broker), not a file or an address.
  return json_response(503, api::encode_unready(ready.error().message()));
}

HttpResponse RestRouter::token_link(const HttpRequest& request, bool confirm,
                                    std::string_view query_text,
                                    std::string_view request_id) const {
  if (!method_allowed("GET, HEAD", request.method)) return method_not_allowed("GET, HEAD");
  auto query = parse_query(query_text);
  if (!query) return error_response(query.error());
  const auto token = query_value(*query, "token");
  if (!token) return error_response(invalid("token: is required"));
  auto done = confirm ? topics_.confirm_subscription(*token) : topics_.unsubscribe(*token);
  if (!done) return error_response(done.error());
  if (!confirm) return json_response(200, api::encode_request_id(request_id));
  SmnSubscriptionAdded confirmed{*done, false, {}, {}};
  return json_response(200, api::encode_subscription_added(request_id, confirmed));
}

namespace {
// The caller's X-Request-Id when it is one of 1–128 printable ASCII characters, else a new one.
std::string request_id_of(const HttpRequest& request) {
  if (request.header_count("X-Request-Id") == 1) {
    const std::string_view given = request.header("X-Request-Id");
    if (!given.empty() && given.size() <= k_max_request_id_bytes &&
        std::all_of(given.begin(), given.end(), [](char c) { return c >= 0x20 && c <= 0x7e; })) {
      return std::string(given);
    }
  }
  return detail::new_uuid_v4();
}
}  // namespace

HttpResponse RestRouter::handle(const HttpRequest& request) const {
  return handle(request, nullptr);
}

HttpResponse RestRouter::handle(const HttpRequest& request, RequestFacts* facts) const {
  RequestFacts ignored;
  RequestFacts& told = facts != nullptr ? *facts : ignored;
  told = RequestFacts{};
  const std::string request_id = request_id_of(request);
  HttpResponse response = [&]() -> HttpResponse {
    try {
      if (request.body.size() > k_max_body_bytes) {
        return error_response(
            Error{ErrorCode::body_too_large, "body: larger than 1 MiB (1048576 bytes)"});
      }
      const std::string_view target = request.target;
      const auto question = target.find('?');
      const std::string_view path = target.substr(0, question);
      const std::string_view query_text =
          question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);

      std::vector<std::string_view> segments;
      if (!path.starts_with('/')) {
        return error_response(Error{ErrorCode::no_such_route, "no route for this path"});
      }
      for (std::string_view rest = path.substr(1);;) {
        const auto slash = rest.find('/');
        segments.push_back(rest.substr(0, slash));
        if (slash == std::string_view::npos) break;
        rest = rest.substr(slash + 1);
      }
      // Health and readiness (contract §7): unauthenticated, no project.
      if (segments.size() == 1 && (segments[0] == "healthz" || segments[0] == "readyz")) {
        told.route = segments[0] == "healthz" ? "/healthz" : "/readyz";
        if (!method_allowed("GET, HEAD", request.method)) return method_not_allowed("GET, HEAD");
        if (segments[0] == "healthz") return json_response(200, R"({"status":"ok"})");
        return readiness();
      }
      if (metrics_ && segments.size() == 1 && segments[0] == "metrics") {
        told.route = "/metrics";
        if (!method_allowed("GET, HEAD", request.method)) return method_not_allowed("GET, HEAD");
        return HttpResponse{200,
                            {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}},
                            metrics_->render()};
      }
      // signing_cert_url: unauthenticated, the certificate is public.
      if (segments.size() == 4 && segments[0] == "v2" && segments[1] == "smn" &&
          segments[2] == "certificates" && segments[3].ends_with(".pem")) {
        told.route = "/v2/smn/certificates/{key_id}.pem";
        if (!method_allowed("GET, HEAD", request.method)) return method_not_allowed("GET, HEAD");
        const auto key_id = segments[3].substr(0, segments[3].size() - 4);
        auto pem = topics_.signing_certificate(key_id);
        if (!pem) return error_response(pem.error());
        return HttpResponse{200, {{"Content-Type", "application/x-pem-file"}}, std::move(*pem)};
      }
      // subscribe_url and unsubscribe_url: unauthenticated, the token is the credential (§5).
      if (segments.size() == 4 && segments[0] == "v2" && segments[1] == "smn" &&
          segments[2] == "subscriptions" &&
          (segments[3] == "confirm" || segments[3] == "unsubscribe")) {
        told.route = segments[3] == "confirm" ? "/v2/smn/subscriptions/confirm"
                                              : "/v2/smn/subscriptions/unsubscribe";
        return token_link(request, segments[3] == "confirm", query_text, request_id);
      }
      const auto route = match(segments);
      if (!route) return error_response(Error{ErrorCode::no_such_route, "no route for this path"});
      told.route = route->path_template;
      if (const auto project = percent_decode(route->variables[0], false);
          project && validate::project_id(*project)) {
        told.project = *project;
      }
      if (!method_allowed(route->allowed, request.method)) {
        return method_not_allowed(route->allowed);
      }

      auto project = authenticate(request, route->variables[0]);
      if (!project) return error_response(project.error());
      if (auto r = validate::project_id(*project); !r) return error_response(r.error());
      auto query = parse_query(query_text);
      if (!query) return error_response(query.error());

      return Dispatcher(engine_, topics_, request, *route, *query, *project, request_id).run();
    } catch (const std::exception&) {
      // No detail of internals leaks to the client.
      return error_response(Error{ErrorCode::internal, "internal error"});
    }
  }();
  response.headers.emplace_back("X-Request-Id", request_id);
  if (response.status == 204) {
    std::erase_if(response.headers, [](const auto& h) { return iequals(h.first, "Content-Type"); });
  }
  return response;
}

}  // namespace herald
