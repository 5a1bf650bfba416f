// Shared by the router tests (in-process) and the end-to-end tests (over HTTP): the projects
// and tokens, and the table of bad inputs with the answer each must get.
#pragma once

#include <string>
#include <vector>

namespace herald::testing {

inline constexpr const char* k_token_a = "token-of-project-a";
inline constexpr const char* k_token_b = "token-of-project-b";
inline constexpr const char* k_project_a = "project-a";
inline constexpr const char* k_project_b = "project-b";

struct BadInput {
  std::string why;
  std::string method;
  std::string target;
  std::string body;
  int status;
  std::string error_code;
  const char* token = k_token_a;  // nullptr: no X-Auth-Token header
};

/// One request of the state the bad inputs are sent against.
struct SeedRequest {
  std::string method;
  std::string target;
  std::string body;
  int status;
};

/// The state every bad input is sent against, as requests: in project-a the events "existing"
/// (which secret "db" subscribes to) and "also-existing", an SMN topic "topic-a", and one
/// delivery record.
inline std::vector<SeedRequest> seed_requests() {
  const auto event = [](const char* name) {
    return std::string(R"({"name":")") + name +
           R"(","event_types":["SECRET_ROTATED"],"state":"ENABLED","notification":)"
           R"({"target_type":"SMN","target_id":"urn:smn:region-1:project-a:topic-a",)"
           R"("target_name":"topic-a"}})";
  };
  return {
      {"POST", "/v1/project-a/csms/events", event("existing"), 200},
      {"POST", "/v1/project-a/csms/events", event("also-existing"), 200},
      {"PUT", "/v1/project-a/secrets/db", R"({"event_subscriptions":["existing"]})", 200},
      {"POST", "/v2/project-a/notifications/topics", R"({"name":"topic-a"})", 201},
      {"POST", "/v1/project-a/csms/lifecycle-events",
       R"({"secret_name":"db","event_type":"SECRET_ROTATED"})", 200},
  };
}

/// The bad inputs, each with the answer it must get, against the state of seed_requests().
inline std::vector<BadInput> bad_inputs() {
  const std::string events = "/v1/project-a/csms/events";
  const std::string good_event =
      R"({"name":"new-event","event_types":["SECRET_ROTATED"],"state":"ENABLED",)"
      R"("notification":{"target_type":"SMN","target_id":"urn:smn:region-1:project-a:t","target_name":"t"}})";
  const auto with = [&](std::string from, std::string to) {
    std::string body = good_event;
    body.replace(body.find(from), from.size(), to);
    return body;
  };
  std::vector<BadInput> table = {
      // Malformed JSON and wrong JSON types: 400 CSMS.0004.
      {"malformed JSON", "POST", events, "{\"name\":", 400, "CSMS.0004"},
      {"empty body", "POST", events, "", 400, "CSMS.0004"},
      {"body is an array", "POST", events, "[]", 400, "CSMS.0004"},
      {"body is a string", "POST", events, "\"event\"", 400, "CSMS.0004"},
      {"body is null", "POST", events, "null", 400, "CSMS.0004"},
      {"trailing garbage", "POST", events, good_event + "x", 400, "CSMS.0004"},
      {"invalid UTF-8", "POST", events, with("new-event", "\xff\xfe"), 400, "CSMS.0004"},
      {"name is a number", "POST", events, with("\"new-event\"", "42"), 400, "CSMS.0004"},
      {"name is null", "POST", events, with("\"new-event\"", "null"), 400, "CSMS.0004"},
      {"event_types is a string", "POST", events,
       with("[\"SECRET_ROTATED\"]", "\"SECRET_ROTATED\""), 400, "CSMS.0004"},
      {"event_types item is a number", "POST", events, with("\"SECRET_ROTATED\"", "1"), 400,
       "CSMS.0004"},
      {"state is a boolean", "POST", events, with("\"ENABLED\"", "true"), 400, "CSMS.0004"},
      {"notification is a string", "POST", events,
       R"({"name":"n","event_types":["SECRET_ROTATED"],"state":"ENABLED","notification":"SMN"})",
       400, "CSMS.0004"},
      {"target_id is a number", "POST", events, with("\"urn:smn:region-1:project-a:t\"", "7"), 400,
       "CSMS.0004"},
      {"deeply nested JSON", "POST", events, std::string(100, '[') + std::string(100, ']'), 400,
       "CSMS.0004"},
      {"a key given twice", "POST", events,
       with("\"state\":\"ENABLED\"", "\"state\":\"ENABLED\",\"state\":\"DISABLED\""), 400,
       "CSMS.0004"},
      {"a nested key given twice", "POST", events,
       with("\"target_name\":\"t\"", "\"target_name\":\"t\",\"target_name\":\"u\""), 400,
       "CSMS.0004"},
      {"a key given twice in an update", "PUT", events + "/existing",
       R"({"state":"ENABLED","state":"DISABLED"})", 400, "CSMS.0004"},
      {"a key given twice in a subscription", "PUT", "/v1/project-a/secrets/db",
       R"({"event_subscriptions":[],"event_subscriptions":["existing"]})", 400, "CSMS.0004"},
      // Missing fields and values out of their rules: 400 CSMS.0002.
      {"missing name", "POST", events, with("\"name\":\"new-event\",", ""), 400, "CSMS.0002"},
      {"missing event_types", "POST", events, with("\"event_types\":[\"SECRET_ROTATED\"],", ""),
       400, "CSMS.0002"},
      {"missing state", "POST", events, with("\"state\":\"ENABLED\",", ""), 400, "CSMS.0002"},
      {"missing notification", "POST", events,
       R"({"name":"n","event_types":["SECRET_ROTATED"],"state":"ENABLED"})", 400, "CSMS.0002"},
      {"missing target_type", "POST", events, with("\"target_type\":\"SMN\",", ""), 400,
       "CSMS.0002"},
      {"missing target_name", "POST", events, with(",\"target_name\":\"t\"", ""), 400, "CSMS.0002"},
      {"empty name", "POST", events, with("\"new-event\"", "\"\""), 400, "CSMS.0002"},
      {"65-char name", "POST", events, with("new-event", std::string(65, 'n')), 400, "CSMS.0002"},
      {"name with a period", "POST", events, with("new-event", "new.event"), 400, "CSMS.0002"},
      {"name with a space", "POST", events, with("new-event", "new event"), 400, "CSMS.0002"},
      {"non-ASCII name", "POST", events, with("new-event", "n\xc3\xa9w"), 400, "CSMS.0002"},
      {"no event types", "POST", events, with("[\"SECRET_ROTATED\"]", "[]"), 400, "CSMS.0002"},
      {"unknown event type", "POST", events, with("SECRET_ROTATED", "SECRET_EXPLODED"), 400,
       "CSMS.0002"},
      {"lower-case event type", "POST", events, with("SECRET_ROTATED", "secret_rotated"), 400,
       "CSMS.0002"},
      {"duplicate event type", "POST", events,
       with("\"SECRET_ROTATED\"", "\"SECRET_ROTATED\",\"SECRET_ROTATED\""), 400, "CSMS.0002"},
      {"lower-case state", "POST", events, with("ENABLED", "enabled"), 400, "CSMS.0002"},
      {"unknown state", "POST", events, with("ENABLED", "PAUSED"), 400, "CSMS.0002"},
      {"empty target_id", "POST", events, with("urn:smn:region-1:project-a:t", ""), 400,
       "CSMS.0002"},
      // Paging.
      {"limit 0", "GET", events + "?limit=0", "", 400, "CSMS.0002"},
      {"limit -1", "GET", events + "?limit=-1", "", 400, "CSMS.0002"},
      {"limit 1001", "GET", events + "?limit=1001", "", 400, "CSMS.0002"},
      {"huge limit", "GET", events + "?limit=99999999999999999999999999", "", 400, "CSMS.0002"},
      {"limit abc", "GET", events + "?limit=abc", "", 400, "CSMS.0002"},
      {"limit 1.5", "GET", events + "?limit=1.5", "", 400, "CSMS.0002"},
      {"limit twice", "GET", events + "?limit=1&limit=2", "", 400, "CSMS.0002"},
      {"marker with a period", "GET", events + "?marker=a.b", "", 400, "CSMS.0002"},
      {"65-char marker", "GET", events + "?marker=" + std::string(65, 'm'), "", 400, "CSMS.0002"},
      {"bad percent-encoding in a query", "GET", events + "?marker=%G1", "", 400, "CSMS.0002"},
      {"truncated percent-encoding in a query", "GET", events + "?marker=ab%4", "", 400,
       "CSMS.0002"},
      {"records limit 0", "GET", "/v1/project-a/csms/notification-records?limit=0", "", 400,
       "CSMS.0002"},
      {"records marker not ours", "GET", "/v1/project-a/csms/notification-records?marker=zz", "",
       400, "CSMS.0002"},
      {"records unknown status", "GET",
       "/v1/project-a/csms/notification-records?notification_status=OK", "", 400, "CSMS.0002"},
      // Path segments.
      {"bad percent-encoding in a name", "GET", events + "/ab%zz", "", 400, "CSMS.0002"},
      {"encoded slash in a name", "GET", events + "/a%2Fb", "", 400, "CSMS.0002"},
      {"path traversal in a secret name", "PUT", "/v1/project-a/secrets/..%2F..%2Fetc%2Fpasswd",
       R"({"event_subscriptions":["existing"]})", 400, "CSMS.0002"},
      {"raw path traversal", "GET", "/v1/project-a/secrets/../../etc/passwd", "", 404, "CSMS.0003"},
      {"a secret named '.'", "PUT", "/v1/project-a/secrets/.", R"({"event_subscriptions":[]})", 400,
       "CSMS.0002"},
      {"a secret named '..'", "PUT", "/v1/project-a/secrets/..", R"({"event_subscriptions":[]})",
       400, "CSMS.0002"},
      {"a secret named '.', encoded", "GET", "/v1/project-a/secrets/%2E", "", 400, "CSMS.0002"},
      {"a version named '..'", "PUT", "/v1/project-a/secrets/db/versions/..",
       R"({"expire_time":99999999999999})", 400, "CSMS.0002"},
      {"a lifecycle event for a secret named '..'", "POST", "/v1/project-a/csms/lifecycle-events",
       R"({"secret_name":"..","event_type":"SECRET_ROTATED"})", 400, "CSMS.0002"},
      {"101 query parameters", "GET",
       events + "?" +
           [] {
             std::string query;
             for (int i = 0; i < 101; ++i) query += "p" + std::to_string(i) + "=1&";
             return query;
           }(),
       "", 400, "CSMS.0002"},
      {"a query parameter given twice, far apart", "GET", events + "?limit=1&a=1&b=2&c=3&limit=1",
       "", 400, "CSMS.0002"},
      // Existence, conflicts, quotas.
      {"unknown event", "GET", events + "/missing", "", 404, "CSMS.0005"},
      {"update of an unknown event", "PUT", events + "/missing", R"({"state":"DISABLED"})", 404,
       "CSMS.0005"},
      {"delete of an unknown event", "DELETE", events + "/missing", "", 404, "CSMS.0005"},
      {"name taken", "POST", events, with("new-event", "existing"), 400, "HERALD.1001"},
      {"delete in use", "DELETE", events + "/existing", "", 400, "HERALD.1002"},
      {"subscribe to a missing event", "PUT", "/v1/project-a/secrets/db",
       R"({"event_subscriptions":["missing"]})", 404, "CSMS.0005"},
      {"too many subscriptions", "PUT", "/v1/project-a/secrets/db",
       R"({"event_subscriptions":["existing","also-existing"]})", 400, "HERALD.1003"},
      {"subscription list with a number", "PUT", "/v1/project-a/secrets/db",
       R"({"event_subscriptions":[1]})", 400, "CSMS.0004"},
      {"subscription twice", "PUT", "/v1/project-a/secrets/db",
       R"({"event_subscriptions":["existing","existing"]})", 400, "CSMS.0002"},
      {"unknown secret", "GET", "/v1/project-a/secrets/nobody", "", 404, "CSMS.0005"},
      {"secrets of an unknown event", "GET", "/v1/project-a/secrets?event_name=missing", "", 404,
       "CSMS.0005"},
      {"expire_time in the past", "PUT", "/v1/project-a/secrets/db/versions/v1",
       R"({"expire_time":1000})", 400, "CSMS.0002"},
      {"expire_time a string", "PUT", "/v1/project-a/secrets/db/versions/v1",
       R"({"expire_time":"tomorrow"})", 400, "CSMS.0004"},
      {"expire_time a fraction", "PUT", "/v1/project-a/secrets/db/versions/v1",
       R"({"expire_time":1.5e15})", 400, "CSMS.0004"},
      {"lifecycle without a type", "POST", "/v1/project-a/csms/lifecycle-events",
       R"({"secret_name":"db"})", 400, "CSMS.0002"},
      {"lifecycle with an unknown secret type", "POST", "/v1/project-a/csms/lifecycle-events",
       R"({"secret_name":"db","event_type":"SECRET_ROTATED","secret_type":"MYSQL"})", 400,
       "CSMS.0002"},
      {"topic name starting with '-'", "POST", "/v2/project-a/notifications/topics",
       R"({"name":"-bad"})", 400, "CSMS.0002"},
      {"unknown topic", "GET", "/v2/project-a/notifications/topics/urn:smn:region-1:project-a:nope",
       "", 404, "CSMS.0005"},
      {"topics limit 0", "GET", "/v2/project-a/notifications/topics?limit=0", "", 400, "CSMS.0002"},
      {"topics limit 101", "GET", "/v2/project-a/notifications/topics?limit=101", "", 400,
       "CSMS.0002"},
      {"topics offset -1", "GET", "/v2/project-a/notifications/topics?offset=-1", "", 400,
       "CSMS.0002"},
      {"topics offset abc", "GET", "/v2/project-a/notifications/topics?offset=abc", "", 400,
       "CSMS.0002"},
      {"forget an unknown secret", "DELETE", "/v1/project-a/secrets/nobody", "", 404, "CSMS.0005"},
      // Routes, methods and tokens.
      {"unknown route", "GET", "/v1/project-a/csms/nothing", "", 404, "CSMS.0003"},
      {"unknown version prefix", "GET", "/v9/project-a/csms/events", "", 404, "CSMS.0003"},
      {"trailing slash", "GET", events + "/", "", 404, "CSMS.0003"},
      {"no leading slash", "GET", "v1/project-a/csms/events", "", 404, "CSMS.0003"},
      {"wrong method on a collection", "DELETE", events, "", 405, "CSMS.0003"},
      {"wrong method on an event", "POST", events + "/existing", "{}", 405, "CSMS.0003"},
      {"lower-case method", "get", events, "", 405, "CSMS.0003"},
      {"no token", "GET", events, "", 401, "HERALD.0401", nullptr},
      {"unknown token", "GET", events, "", 401, "HERALD.0401", "not-a-token"},
      {"another project's token", "GET", events, "", 403, "HERALD.0403", k_token_b},
      {"another project's token on a write", "POST", events, good_event, 403, "HERALD.0403",
       k_token_b},
      {"oversized body", "POST", events, std::string((1 << 20) + 1, ' '), 413, "HERALD.0413"},
      // Order of checks.
      {"oversized body on an unknown route", "POST", "/nowhere", std::string((1 << 20) + 1, ' '),
       413, "HERALD.0413"},
      {"unknown route before the token", "GET", "/v1/project-a/csms/nothing", "", 404, "CSMS.0003",
       nullptr},
      {"wrong method before the token", "PATCH", events, "", 405, "CSMS.0003", nullptr},
      {"token before the body", "POST", events, "{", 401, "HERALD.0401", nullptr},
      {"validation before existence", "PUT", events + "/missing", R"({"state":"nope"})", 400,
       "CSMS.0002"},
      {"existence before conflicts", "PUT", "/v1/project-a/secrets/db",
       R"({"event_subscriptions":["existing","missing"]})", 404, "CSMS.0005"},
  };
  return table;
}

}  // namespace herald::testing
