// The one translation unit that compiles Boost.JSON (header-only mode, so that sanitizer and
// fuzzer builds instrument it too).
#include "api/codec.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/src.hpp>
#include <optional>
#include <unordered_set>

#include "herald/rest.hpp"
#include "validate/validate.hpp"

namespace herald::api {
namespace json = boost::json;
namespace {

Error malformed(std::string message) {
  return Error{ErrorCode::malformed_request, std::move(message)};
}
Error invalid(std::string message) {
  return Error{ErrorCode::invalid_argument, std::move(message)};
}

// A Boost.JSON parse handler that builds nothing and stops at the first object key given twice
// (at any depth). Boost.JSON itself keeps one of the two silently, so a validator in front of
// herald and herald itself could read different values from the same body.
class DuplicateKeyFinder {
 public:
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);

  [[nodiscard]] const std::optional<std::string>& duplicate() const { return duplicate_; }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t, json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    keys_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    keys_.pop_back();
    return true;
  }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_key_part(json::string_view part, std::size_t, json::error_code&) {
    key_.append(part.data(), part.size());
    return true;
  }
  bool on_key(json::string_view last, std::size_t, json::error_code& ec) {
    key_.append(last.data(), last.size());
    if (!keys_.back().insert(key_).second) {
      duplicate_ = std::move(key_);
      ec = json::make_error_code(json::error::syntax);
      return false;
    }
    key_.clear();
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return true; }
  bool on_double(double, json::string_view, json::error_code&) { return true; }
  bool on_bool(bool, json::error_code&) { return true; }
  bool on_null(json::error_code&) { return true; }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  std::vector<std::unordered_set<std::string>> keys_;  // one set per open object
  std::string key_;
  std::optional<std::string> duplicate_;
};

// The first key given twice in one object of `body`, if any (a malformed body has none: the
// real parse reports it).
std::optional<std::string> duplicate_key(std::string_view body) {
  json::basic_parser<DuplicateKeyFinder> finder(json::parse_options{});
  json::error_code ec;
  finder.write_some(false, body.data(), body.size(), ec);
  return finder.handler().duplicate();
}

Result<json::object> parse_object(std::string_view body) {
  if (auto key = duplicate_key(body)) {
    // Keys are quoted from the body: ASCII-safe in the answer (encode_error cuts the rest).
    return malformed(
        fmt::format("body: the key \"{}\" is given twice in one object", key->substr(0, 64)));
  }
  json::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) return malformed(fmt::format("body: malformed JSON ({})", ec.message()));
  if (!value.is_object()) return malformed("body: must be a JSON object");
  return std::move(value.as_object());
}

// The string at `key`: nullopt when absent; CSMS.0004 when present with another JSON type.
Result<std::optional<std::string>> optional_string(const json::object& object, std::string_view key,
                                                   std::string_view field) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) return std::optional<std::string>{};
  if (!value->is_string()) return malformed(fmt::format("{}: must be a string", field));
  return std::optional<std::string>(std::string(value->as_string()));
}

Result<std::string> required_string(const json::object& object, std::string_view key,
                                    std::string_view field) {
  auto value = optional_string(object, key, field);
  if (!value) return std::move(value).error();
  if (!value->has_value()) return invalid(fmt::format("{}: is required", field));
  return std::move(**value);
}

Result<std::vector<EventType>> event_types_of(const json::value& value) {
  if (!value.is_array()) return malformed("event_types: must be an array of strings");
  std::vector<EventType> types;
  const auto& array = value.as_array();
  types.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    if (!array[i].is_string())
      return malformed(fmt::format("event_types[{}]: must be a string", i));
    const auto type = parse_event_type(std::string_view(array[i].as_string()));
    if (!type) return invalid(fmt::format("event_types[{}]: is not a known event type", i));
    types.push_back(*type);
  }
  return types;
}

Result<EventState> state_of(const json::value& value) {
  if (!value.is_string()) return malformed("state: must be a string");
  const auto state = parse_event_state(std::string_view(value.as_string()));
  if (!state) return invalid("state: must be ENABLED or DISABLED");
  return *state;
}

Result<NotificationTarget> notification_of(const json::value& value) {
  if (!value.is_object()) return malformed("notification: must be an object");
  const auto& object = value.as_object();
  NotificationTarget target;
  for (auto [key, member] : {std::pair{"target_type", &NotificationTarget::target_type},
                             std::pair{"target_id", &NotificationTarget::target_id},
                             std::pair{"target_name", &NotificationTarget::target_name}}) {
    auto text = required_string(object, key, fmt::format("notification.{}", key));
    if (!text) return std::move(text).error();
    target.*member = std::move(text).value();
  }
  return target;
}

json::value page_info_of(const PageInfo& info) {
  json::object object;
  object["next_marker"] = info.next_marker ? json::value(*info.next_marker) : json::value(nullptr);
  object["previous_marker"] =
      info.previous_marker ? json::value(*info.previous_marker) : json::value(nullptr);
  object["current_count"] = info.current_count;
  return object;
}

json::object event_object(const Event& event) {
  json::array types;
  for (const auto type : event.event_types) types.emplace_back(to_string(type));
  return json::object{
      {"name", event.name},
      {"event_id", event.event_id},
      {"state", to_string(event.state)},
      {"event_types", std::move(types)},
      {"create_time", to_epoch_ms(event.create_time)},
      {"update_time", to_epoch_ms(event.update_time)},
      {"notification", json::object{{"target_type", event.notification.target_type},
                                    {"target_id", event.notification.target_id},
                                    {"target_name", event.notification.target_name}}},
  };
}

json::object secret_object(const Secret& secret) {
  json::array names;
  for (const auto& name : secret.event_subscriptions) names.emplace_back(name);
  return json::object{{"name", secret.name}, {"event_subscriptions", std::move(names)}};
}

json::object topic_object(const SmnTopic& topic) {
  return json::object{
      {"topic_urn", topic.topic_urn}, {"name", topic.name}, {"display_name", topic.display_name}};
}

}  // namespace

Result<EventSpec> decode_event_spec(std::string_view body) {
  auto parsed = parse_object(body);
  if (!parsed) return std::move(parsed).error();
  const json::object& object = *parsed;
  EventSpec spec;
  auto name = required_string(object, "name", "name");
  if (!name) return std::move(name).error();
  spec.name = std::move(name).value();
  if (auto r = validate::event_name(spec.name); !r) return r.error();

  const auto* types = object.if_contains("event_types");
  if (types == nullptr) return invalid("event_types: is required");
  auto decoded_types = event_types_of(*types);
  if (!decoded_types) return std::move(decoded_types).error();
  spec.event_types = std::move(decoded_types).value();

  const auto* state = object.if_contains("state");
  if (state == nullptr) return invalid("state: is required");
  auto decoded_state = state_of(*state);
  if (!decoded_state) return std::move(decoded_state).error();
  spec.state = *decoded_state;

  const auto* target = object.if_contains("notification");
  if (target == nullptr) return invalid("notification: is required");
  auto decoded_target = notification_of(*target);
  if (!decoded_target) return std::move(decoded_target).error();
  spec.notification = std::move(decoded_target).value();

  if (auto r = validate::event_spec(spec); !r) return r.error();
  return spec;
}

Result<EventPatch> decode_event_patch(std::string_view body) {
  auto parsed = parse_object(body);
  if (!parsed) return std::move(parsed).error();
  const json::object& object = *parsed;
  EventPatch patch;
  if (const auto* state = object.if_contains("state")) {
    auto decoded = state_of(*state);
    if (!decoded) return std::move(decoded).error();
    patch.state = *decoded;
  }
  if (const auto* types = object.if_contains("event_types")) {
    auto decoded = event_types_of(*types);
    if (!decoded) return std::move(decoded).error();
    patch.event_types = std::move(decoded).value();
  }
  if (const auto* target = object.if_contains("notification")) {
    auto decoded = notification_of(*target);
    if (!decoded) return std::move(decoded).error();
    patch.notification = std::move(decoded).value();
  }
  if (auto r = validate::event_patch(patch); !r) return r.error();
  return patch;
}

Result<std::vector<std::string>> decode_subscriptions(std::string_view body) {
  auto parsed = parse_object(body);
  if (!parsed) return std::move(parsed).error();
  const auto* value = parsed->if_contains("event_subscriptions");
  if (value == nullptr) return invalid("event_subscriptions: is required");
  if (!value->is_array()) return malformed("event_subscriptions: must be an array of strings");
  std::vector<std::string> names;
  for (std::size_t i = 0; i < value->as_array().size(); ++i) {
    const auto& item = value->as_array()[i];
    if (!item.is_string()) {
      return malformed(fmt::format("event_subscriptions[{}]: must be a string", i));
    }
    names.emplace_back(item.as_string());
  }
  if (auto r = validate::subscriptions(names); !r) return r.error();
  return names;
}

Result<LifecycleRequest> decode_lifecycle(std::string_view body) {
  auto parsed = parse_object(body);
  if (!parsed) return std::move(parsed).error();
  const json::object& object = *parsed;
  LifecycleRequest request;
  auto secret = required_string(object, "secret_name", "secret_name");
  if (!secret) return std::move(secret).error();
  request.secret_name = std::move(secret).value();
  if (auto r = validate::secret_name(request.secret_name); !r) return r.error();

  auto type = required_string(object, "event_type", "event_type");
  if (!type) return std::move(type).error();
  const auto parsed_type = parse_event_type(*type);
  if (!parsed_type) return invalid("event_type: is not a known event type");
  request.event_type = *parsed_type;

  auto secret_type = optional_string(object, "secret_type", "secret_type");
  if (!secret_type) return std::move(secret_type).error();
  if (secret_type->has_value()) {
    const auto parsed_secret_type = parse_secret_type(**secret_type);
    if (!parsed_secret_type) return invalid("secret_type: must be COMMON, RDS-FG or GaussDB-FG");
    request.secret_type = *parsed_secret_type;
  }

  auto version = optional_string(object, "version_id", "version_id");
  if (!version) return std::move(version).error();
  if (version->has_value()) {
    if (auto r = validate::version_id(**version); !r) return r.error();
    request.version_id = std::move(**version);
  }
  return request;
}

Result<std::int64_t> decode_expire_time(std::string_view body) {
  auto parsed = parse_object(body);
  if (!parsed) return std::move(parsed).error();
  const auto* value = parsed->if_contains("expire_time");
  if (value == nullptr) return invalid("expire_time: is required");
  if (value->is_int64()) return value->as_int64();
  if (value->is_uint64()) return invalid("expire_time: is out of range");
  return malformed("expire_time: must be an integer (epoch milliseconds)");
}

Result<TopicRequest> decode_topic(std::string_view body) {
  auto parsed = parse_object(body);
  if (!parsed) return std::move(parsed).error();
  TopicRequest request;
  auto name = required_string(*parsed, "name", "name");
  if (!name) return std::move(name).error();
  request.name = std::move(name).value();
  auto display = optional_string(*parsed, "display_name", "display_name");
  if (!display) return std::move(display).error();
  request.display_name = display->value_or("");
  return request;
}

Result<SubscriptionRequest> decode_subscription(std::string_view body) {
  auto parsed = parse_object(body);
  if (!parsed) return std::move(parsed).error();
  SubscriptionRequest request;
  auto protocol = required_string(*parsed, "protocol", "protocol");
  if (!protocol) return std::move(protocol).error();
  request.protocol = std::move(protocol).value();
  auto endpoint = required_string(*parsed, "endpoint", "endpoint");
  if (!endpoint) return std::move(endpoint).error();
  request.endpoint = std::move(endpoint).value();
  auto remark = optional_string(*parsed, "remark", "remark");
  if (!remark) return std::move(remark).error();
  request.remark = remark->value_or("");
  return request;
}

std::string encode_event(const Event& event) {
  return json::serialize(json::object{{"event", event_object(event)}});
}

std::string encode_events(const Page<Event>& page) {
  json::array events;
  for (const auto& event : page.items) events.emplace_back(event_object(event));
  return json::serialize(
      json::object{{"events", std::move(events)}, {"page_info", page_info_of(page.page_info)}});
}

std::string encode_secret(const Secret& secret) {
  return json::serialize(json::object{{"secret", secret_object(secret)}});
}

std::string encode_secrets(const Page<Secret>& page) {
  json::array secrets;
  for (const auto& secret : page.items) secrets.emplace_back(secret_object(secret));
  return json::serialize(
      json::object{{"secrets", std::move(secrets)}, {"page_info", page_info_of(page.page_info)}});
}

std::string encode_records(const Page<NotificationRecord>& page) {
  json::array records;
  for (const auto& r : page.items) {
    records.emplace_back(json::object{
        {"event_name", r.event_name},
        {"trigger_event_type", to_string(r.trigger_event_type)},
        {"create_time", to_epoch_ms(r.create_time)},
        {"secret_name", r.secret_name},
        {"secret_type", to_string(r.secret_type)},
        {"notification_target_name", r.notification_target_name},
        {"notification_target_id", r.notification_target_id},
        {"notification_content", r.notification_content ? *r.notification_content : ""},
        {"notification_status", to_string(r.notification_status)},
        {"notification_id", r.notification_id},
        {"notification_target_type", r.notification_target_type},
        {"failure_reason", r.failure_reason},
    });
  }
  return json::serialize(
      json::object{{"records", std::move(records)}, {"page_info", page_info_of(page.page_info)}});
}

std::string encode_trigger(const TriggerReport& report) {
  json::array notifications;
  for (const auto& n : report.notifications) {
    notifications.emplace_back(
        json::object{{"event_name", n.event_name},
                     {"notification_id", n.notification_id},
                     {"notification_status", to_string(n.notification_status)}});
  }
  return json::serialize(json::object{{"notifications", std::move(notifications)}});
}

namespace {
json::object version_metadata(const VersionExpiry& expiry) {
  return json::object{
      {"version_metadata",
       json::object{
           {"id", expiry.version_id},
           {"secret_name", expiry.secret_name},
           {"expire_time", expiry.expire_time ? json::value(to_epoch_ms(*expiry.expire_time))
                                              : json::value(nullptr)}}}};
}
}  // namespace

std::string encode_version(const VersionExpiry& expiry) {
  return json::serialize(version_metadata(expiry));
}

std::string encode_unready(std::string_view reason) {
  return json::serialize(json::object{{"status", "unavailable"}, {"reason", reason}});
}

std::string encode_version_show(const VersionExpiry& expiry) {
  return json::serialize(json::object{{"version", version_metadata(expiry)}});
}

std::string encode_topic_created(std::string_view request_id, const SmnTopic& topic) {
  return json::serialize(json::object{{"request_id", request_id}, {"topic_urn", topic.topic_urn}});
}

std::string encode_topic(std::string_view request_id, const SmnTopic& topic) {
  json::object object{{"request_id", request_id}};
  for (auto& [key, value] : topic_object(topic)) object[key] = value;
  return json::serialize(object);
}

std::string encode_topics(std::string_view request_id, const SmnTopicPage& page) {
  json::array array;
  for (const auto& topic : page.topics) array.emplace_back(topic_object(topic));
  return json::serialize(json::object{
      {"request_id", request_id}, {"topic_count", page.topic_count}, {"topics", std::move(array)}});
}

std::string encode_request_id(std::string_view request_id) {
  return json::serialize(json::object{{"request_id", request_id}});
}

std::string encode_subscription_added(std::string_view request_id,
                                      const SmnSubscriptionAdded& added) {
  json::object object{{"request_id", request_id},
                      {"subscription_urn", added.subscription.subscription_urn}};
  // herald's extension, shown only when this call made the subscription.
  if (added.created) object["signing_secret"] = added.signing_secret;
  return json::serialize(object);
}

std::string encode_subscriptions(std::string_view request_id, const SmnSubscriptionPage& page) {
  json::array array;
  for (const auto& s : page.subscriptions) {
    array.emplace_back(json::object{{"topic_urn", s.topic_urn},
                                    {"protocol", s.protocol},
                                    {"subscription_urn", s.subscription_urn},
                                    {"owner", s.owner},
                                    {"endpoint", s.endpoint},
                                    {"remark", s.remark},
                                    {"status", s.status}});
  }
  return json::serialize(json::object{{"request_id", request_id},
                                      {"subscription_count", page.subscription_count},
                                      {"subscriptions", std::move(array)}});
}

std::string encode_deliveries(std::string_view request_id, const SmnDeliveryPage& page,
                              std::string_view marker) {
  json::array array;
  for (const auto& l : page.deliveries) {
    json::object line{{"message_id", l.message_id},  {"subscription_urn", l.subscription_urn},
                      {"status", l.status},          {"attempts", l.attempts},
                      {"last_http_status", nullptr}, {"last_error", l.last_error},
                      {"next_attempt_time", nullptr}};
    if (l.last_http_status) line["last_http_status"] = *l.last_http_status;
    if (l.next_attempt_time) line["next_attempt_time"] = *l.next_attempt_time;
    array.emplace_back(std::move(line));
  }
  json::object page_info{{"current_count", array.size()}};
  if (!page.next_marker.empty()) page_info["next_marker"] = page.next_marker;
  if (!marker.empty()) page_info["previous_marker"] = marker;
  return json::serialize(json::object{{"request_id", request_id},
                                      {"deliveries", std::move(array)},
                                      {"page_info", std::move(page_info)}});
}

std::string encode_signing_secret(std::string_view request_id, std::string_view subscription_urn,
                                  std::string_view secret) {
  return json::serialize(json::object{{"request_id", request_id},
                                      {"subscription_urn", subscription_urn},
                                      {"signing_secret", secret}});
}

std::string encode_error(const Error& error) {
  // The public bound on error_msg is 1024 characters. Messages may quote what a client sent:
  // keep them ASCII so that a cut never splits a character and the body stays valid UTF-8.
  std::string message = error.message().substr(0, 1024);
  for (char& c : message) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  // The documented nested object, and the same two fields at the top level: the official SDKs
  // read only those (spec/sdk-signing.md §7).
  return json::serialize(json::object{
      {"error", json::object{{"error_code", error.wire_code()}, {"error_msg", message}}},
      {"error_code", error.wire_code()},
      {"error_msg", message}});
}

}  // namespace herald::api

namespace herald {
namespace json = boost::json;

Result<Credentials> parse_auth_file(std::string_view text) {
  const auto wrong = [](std::string message) {
    return Error{ErrorCode::invalid_argument, "auth file: " + std::move(message)};
  };
  auto parsed = api::parse_object(text);
  if (!parsed) {
    std::string_view message = parsed.error().message();
    if (message.starts_with("body: ")) message.remove_prefix(6);
    return wrong(std::string(message));
  }
  const json::object& root = *parsed;
  // One entry: exactly the keys of `fields`, each a non-empty string (no value is quoted back:
  // a value may be a secret).
  const auto entry =
      [&](const json::value& value, std::string_view list, std::size_t index,
          std::initializer_list<std::string_view> fields) -> Result<std::vector<std::string>> {
    const auto where = fmt::format("{}[{}]", list, index);
    if (!value.is_object()) return wrong(where + ": must be an object");
    const auto& object = value.as_object();
    for (const auto& item : object) {
      if (std::find(fields.begin(), fields.end(), std::string_view(item.key())) == fields.end()) {
        return wrong(fmt::format("{}: unknown key \"{}\"", where,
                                 std::string_view(item.key()).substr(0, 64)));
      }
    }
    std::vector<std::string> out;
    for (const auto field : fields) {
      const auto* found = object.if_contains(field);
      if (found == nullptr) return wrong(fmt::format("{}: \"{}\" is required", where, field));
      if (!found->is_string() || found->as_string().empty()) {
        return wrong(fmt::format("{}.{}: must be a non-empty string", where, field));
      }
      out.emplace_back(found->as_string());
    }
    return out;
  };
  Credentials credentials;
  for (const auto& item : root) {
    const std::string_view key = item.key();
    if (key != "tokens" && key != "credentials") {
      return wrong(
          fmt::format("unknown key \"{}\" (expected tokens, credentials)", key.substr(0, 64)));
    }
    if (!item.value().is_array()) return wrong(fmt::format("{}: must be an array", key));
    const auto& array = item.value().as_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      if (key == "tokens") {
        auto fields = entry(array[i], key, i, {"token", "project_id"});
        if (!fields) return std::move(fields).error();
        if (!credentials.tokens.emplace((*fields)[0], (*fields)[1]).second) {
          return wrong(fmt::format("tokens[{}]: the same token is given twice", i));
        }
      } else {
        auto fields = entry(array[i], key, i, {"ak", "sk", "project_id"});
        if (!fields) return std::move(fields).error();
        credentials.keys.push_back(aksk::Credential{(*fields)[0], (*fields)[1], (*fields)[2]});
      }
    }
  }
  if (auto r = check_credentials(credentials); !r) return wrong(r.error().message());
  return credentials;
}

}  // namespace herald
