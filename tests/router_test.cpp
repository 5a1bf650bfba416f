// The REST facade in-process: every route, status and error code of the contract, through
// herald::RestRouter as a transport hands requests to it.
#include <gtest/gtest.h>

#include <unistd.h>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "herald/rest.hpp"
#include "model/uuid.hpp"
#include "rest_support.hpp"
#include "test_support.hpp"

namespace herald {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::k_project_a;
using testing::k_token_a;
using testing::k_token_b;

class router_test : public ::testing::Test {
 protected:
  router_test()
      : engine_(Options{}, clock_),
        topics_(std::make_shared<SmnTopics>("region-1")),
        router_(engine_, *topics_, {{k_token_a, k_project_a}, {k_token_b, testing::k_project_b}}) {
    sink_ = engine_.connect_sink("SMN", smn_sink(topics_));
  }

  HttpResponse call(std::string method, std::string target, std::string body = {},
                    const char* token = k_token_a) {
    HttpRequest request{std::move(method), std::move(target), {}, std::move(body)};
    if (token != nullptr) request.headers.emplace_back("X-Auth-Token", token);
    auto response = router_.handle(request);
    EXPECT_TRUE(detail::is_lower_case_uuid(response.header("X-Request-Id")));
    if (response.status == 204) {
      EXPECT_EQ(response.header("Content-Type"), "");
      EXPECT_EQ(response.body, "");
    } else {
      EXPECT_EQ(response.header("Content-Type"), "application/json;charset=UTF-8");
      EXPECT_NO_THROW((void)json::parse(response.body)) << response.body;
    }
    if (token != nullptr) {
      EXPECT_EQ(response.body.find(token), std::string::npos) << "token echoed";
    }
    return response;
  }
  static json::object body_of(const HttpResponse& response) {
    return json::parse(response.body).as_object();
  }
  static std::string error_code_of(const HttpResponse& response) {
    return std::string(body_of(response).at("error").at("error_code").as_string());
  }
  static std::string error_msg_of(const HttpResponse& response) {
    return std::string(body_of(response).at("error").at("error_msg").as_string());
  }

  void seed() {
    for (const auto& request : testing::seed_requests()) {
      ASSERT_EQ(call(request.method, request.target, request.body).status, request.status)
          << request.method << " " << request.target;
    }
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  Engine engine_;
  std::shared_ptr<SmnTopics> topics_;
  RestRouter router_;
  ScopedConnection sink_;
};

constexpr std::string_view k_seed_request = R"({
  "name": "demo-event", "event_types": ["SECRET_VERSION_CREATED", "SECRET_VERSION_EXPIRED"],
  "state": "ENABLED",
  "notification": { "target_type": "SMN",
    "target_id": "urn:smn:cn-north-4:dc3b7c85759141a991da17423c0f2068:test-poc",
    "target_name": "demo-smn-name" } })";

TEST_F(router_test, the_seed_request_answers_the_documented_shape) {
  const auto response = call("POST", "/v1/project-a/csms/events", std::string(k_seed_request));
  ASSERT_EQ(response.status, 200) << response.body;
  const auto event = body_of(response).at("event").as_object();
  EXPECT_EQ(event.at("name").as_string(), "demo-event");
  EXPECT_TRUE(detail::is_lower_case_uuid(std::string(event.at("event_id").as_string())));
  EXPECT_EQ(event.at("state").as_string(), "ENABLED");
  EXPECT_EQ(event.at("event_types"),
            (json::array{"SECRET_VERSION_CREATED", "SECRET_VERSION_EXPIRED"}));
  EXPECT_EQ(event.at("create_time").as_int64(), 1'581'507'580'000);
  EXPECT_EQ(event.at("update_time").as_int64(), 1'581'507'580'000);
  EXPECT_EQ(
      event.at("notification"),
      (json::object{{"target_type", "SMN"},
                    {"target_id", "urn:smn:cn-north-4:dc3b7c85759141a991da17423c0f2068:test-poc"},
                    {"target_name", "demo-smn-name"}}));
  EXPECT_EQ(event.size(), 7U);
}

TEST_F(router_test, show_list_update_delete) {
  seed();
  auto shown = call("GET", "/v1/project-a/csms/events/existing");
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(body_of(shown).at("event").at("name").as_string(), "existing");

  const auto first = call("GET", "/v1/project-a/csms/events?limit=1");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(body_of(first).at("events").as_array().size(), 1U);
  EXPECT_EQ(body_of(first).at("events").at(0).at("name").as_string(), "also-existing");
  EXPECT_EQ(body_of(first).at("page_info"), (json::object{{"next_marker", "also-existing"},
                                                          {"previous_marker", nullptr},
                                                          {"current_count", 1}}));
  const auto second = call("GET", "/v1/project-a/csms/events?limit=1&marker=also-existing");
  EXPECT_EQ(body_of(second).at("events").at(0).at("name").as_string(), "existing");
  EXPECT_EQ(body_of(second).at("page_info"), (json::object{{"next_marker", nullptr},
                                                           {"previous_marker", "also-existing"},
                                                           {"current_count", 1}}));
  const auto empty_values = call("GET", "/v1/project-a/csms/events?limit=&marker=");
  EXPECT_EQ(body_of(empty_values).at("events").as_array().size(), 2U) << "empty values are absent";

  clock_->advance(5s);
  const auto updated =
      call("PUT", "/v1/project-a/csms/events/existing", R"({"state":"DISABLED","unknown":1})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(body_of(updated).at("event").at("state").as_string(), "DISABLED");
  EXPECT_EQ(body_of(updated).at("event").at("update_time").as_int64(), 1'581'507'585'000);
  EXPECT_EQ(updated.body.find("unknown"), std::string::npos) << "unknown fields are not echoed";

  EXPECT_EQ(call("DELETE", "/v1/project-a/csms/events/also-existing").status, 204);
  EXPECT_EQ(call("GET", "/v1/project-a/csms/events/also-existing").status, 404);
}

TEST_F(router_test, subscriptions_and_the_secret_view) {
  seed();
  const auto set =
      call("PUT", "/v1/project-a/secrets/api.key", R"({"event_subscriptions":["also-existing"]})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(body_of(set), (json::object{{"secret", json::object{{"name", "api.key"},
                                                                {"event_subscriptions",
                                                                 json::array{"also-existing"}}}}}));
  EXPECT_EQ(call("GET", "/v1/project-a/secrets/api.key").body, set.body);
  const auto of_event = call("GET", "/v1/project-a/secrets?event_name=existing");
  EXPECT_EQ(body_of(of_event).at("secrets").at(0).at("name").as_string(), "db");
  EXPECT_EQ(body_of(of_event).at("secrets").as_array().size(), 1U);
  const auto all = call("GET", "/v1/project-a/secrets?limit=1");
  EXPECT_EQ(body_of(all).at("page_info").at("next_marker").as_string(), "api.key");
  EXPECT_EQ(call("PUT", "/v1/project-a/secrets/api%2Ekey", R"({"event_subscriptions":[]})").status,
            200)
      << "path segments are percent-decoded";
  EXPECT_TRUE(engine_.show_secret(k_project_a, "api.key")->event_subscriptions.empty());
}

TEST_F(router_test, lifecycle_events_and_records) {
  seed();
  const auto fired =
      call("POST", "/v1/project-a/csms/lifecycle-events",
           R"({"secret_name":"db","event_type":"SECRET_ROTATED","version_id":"v2"})");
  ASSERT_EQ(fired.status, 200) << fired.body;
  const auto notifications = body_of(fired).at("notifications").as_array();
  ASSERT_EQ(notifications.size(), 1U);
  EXPECT_EQ(notifications[0].at("event_name").as_string(), "existing");
  EXPECT_EQ(notifications[0].at("notification_status").as_string(), "SUCCESS");
  const std::string id(notifications[0].at("notification_id").as_string());

  const auto nothing = call("POST", "/v1/project-a/csms/lifecycle-events",
                            R"({"secret_name":"stranger","event_type":"SECRET_ROTATED"})");
  EXPECT_EQ(body_of(nothing), (json::object{{"notifications", json::array{}}}));

  const auto records = call("GET", "/v1/project-a/csms/notification-records");
  ASSERT_EQ(records.status, 200);
  const auto record = body_of(records).at("records").at(0).as_object();
  EXPECT_EQ(record.at("event_name").as_string(), "existing");
  EXPECT_EQ(record.at("trigger_event_type").as_string(), "SECRET_ROTATED");
  EXPECT_EQ(record.at("create_time").as_int64(), 1'581'507'580'000);
  EXPECT_EQ(record.at("secret_name").as_string(), "db");
  EXPECT_EQ(record.at("secret_type").as_string(), "COMMON");
  EXPECT_EQ(record.at("notification_target_name").as_string(), "topic-a");
  EXPECT_EQ(record.at("notification_target_id").as_string(), "urn:smn:region-1:project-a:topic-a");
  EXPECT_EQ(record.at("notification_status").as_string(), "SUCCESS");
  EXPECT_EQ(record.at("notification_id").as_string(), id);
  const auto content = json::parse(record.at("notification_content").as_string()).as_object();
  EXPECT_EQ(content.at("notification_id").as_string(), id);
  EXPECT_EQ(content.at("version_id").as_string(), "v2");
  EXPECT_EQ(call("GET", "/v1/project-a/csms/notification-records?notification_status=FAIL")
                .body.find("\"records\":[]"),
            1U);
}

TEST_F(router_test, version_expiry) {
  seed();
  const auto at = 1'581'507'580'000 + 60'000;
  const auto armed = call("PUT", "/v1/project-a/secrets/db/versions/v1",
                          "{\"expire_time\":" + std::to_string(at) + "}");
  ASSERT_EQ(armed.status, 200) << armed.body;
  EXPECT_EQ(
      body_of(armed),
      (json::object{{"version_metadata",
                     json::object{{"id", "v1"}, {"secret_name", "db"}, {"expire_time", at}}}}));
  // ShowSecretVersion answers the SDK model's shape: the same metadata under "version".
  EXPECT_EQ(body_of(call("GET", "/v1/project-a/secrets/db/versions/v1")),
            (json::object{{"version", body_of(armed)}}));
}

TEST_F(router_test, smn_topics) {
  const auto created = call("POST", "/v2/project-a/notifications/topics",
                            R"({"name":"alerts","display_name":"Alerts"})");
  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(body_of(created).at("topic_urn").as_string(), "urn:smn:region-1:project-a:alerts");
  EXPECT_TRUE(
      detail::is_lower_case_uuid(std::string(body_of(created).at("request_id").as_string())));
  const auto again = call("POST", "/v2/project-a/notifications/topics", R"({"name":"alerts"})");
  EXPECT_EQ(again.status, 200) << "idempotent";
  EXPECT_EQ(body_of(again).at("topic_urn"), body_of(created).at("topic_urn"));

  const auto listed = call("GET", "/v2/project-a/notifications/topics");
  EXPECT_EQ(body_of(listed).at("topic_count").as_int64(), 1);
  EXPECT_EQ(body_of(listed).at("topics").at(0),
            (json::object{{"topic_urn", "urn:smn:region-1:project-a:alerts"},
                          {"name", "alerts"},
                          {"display_name", "Alerts"}}));
  const auto shown =
      call("GET", "/v2/project-a/notifications/topics/urn:smn:region-1:project-a:alerts");
  EXPECT_EQ(body_of(shown).at("name").as_string(), "alerts");
  const auto removed =
      call("DELETE", "/v2/project-a/notifications/topics/urn:smn:region-1:project-a:alerts");
  EXPECT_EQ(removed.status, 200);
  EXPECT_TRUE(body_of(removed).contains("request_id"));
  EXPECT_EQ(
      call("GET", "/v2/project-a/notifications/topics/urn:smn:region-1:project-a:alerts").status,
      404);
}

TEST_F(router_test, smn_subscriptions_are_added_listed_confirmed_rotated_and_deleted) {
  ASSERT_EQ(call("POST", "/v2/project-a/notifications/topics", R"({"name":"alerts"})").status, 201);
  const std::string topic = "/v2/project-a/notifications/topics/urn:smn:region-1:project-a:alerts";
  // A public address literal: no resolver, and the SSRF guard lets it through.
  const auto added =
      call("POST", topic + "/subscriptions",
           R"({"protocol":"https","endpoint":"https://93.184.216.34/hook","remark":"ops"})");
  ASSERT_EQ(added.status, 200) << added.body;
  const std::string urn(body_of(added).at("subscription_urn").as_string());
  EXPECT_TRUE(urn.starts_with("urn:smn:region-1:project-a:alerts:")) << urn;
  EXPECT_TRUE(std::string(body_of(added).at("signing_secret").as_string()).starts_with("whsec_"));
  const auto again = call("POST", topic + "/subscriptions",
                          R"({"protocol":"https","endpoint":"https://93.184.216.34/hook"})");
  EXPECT_EQ(body_of(again).at("subscription_urn").as_string(), urn) << "the existing URN";
  EXPECT_FALSE(body_of(again).contains("signing_secret")) << "shown once";

  const auto listed = call("GET", topic + "/subscriptions?limit=10");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(body_of(listed).at("subscription_count").as_int64(), 1);
  EXPECT_EQ(body_of(listed).at("subscriptions").at(0),
            (json::object{{"topic_urn", "urn:smn:region-1:project-a:alerts"},
                          {"protocol", "https"},
                          {"subscription_urn", urn},
                          {"owner", "project-a"},
                          {"endpoint", "https://93.184.216.34/hook"},
                          {"remark", "ops"},
                          {"status", 0}}));

  // subscribe_url's link: unauthenticated, the token is the credential.
  const auto token = topics_
                         ->add_subscription(k_project_a, "urn:smn:region-1:project-a:alerts",
                                            "https", "https://93.184.216.35/other")
                         ->confirm_token;
  EXPECT_EQ(call("GET", "/v2/smn/subscriptions/confirm?token=" + std::string(32, '0'), {}, nullptr)
                .status,
            404);
  const auto confirmed = call("GET", "/v2/smn/subscriptions/confirm?token=" + token, {}, nullptr);
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  EXPECT_EQ(call("POST", "/v2/smn/subscriptions/confirm?token=" + token, {}, nullptr).status, 405);
  EXPECT_EQ(call("GET", "/v2/smn/subscriptions/confirm", {}, nullptr).status, 400);
  const auto targets = topics_->push_targets("urn:smn:region-1:project-a:alerts");
  ASSERT_EQ(targets.size(), 1U);

  const auto rotated =
      call("POST", "/v2/project-a/notifications/subscriptions/" + urn + "/signing-secret");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_NE(body_of(rotated).at("signing_secret"), body_of(added).at("signing_secret"));

  const auto unsubscribed =
      call("GET", "/v2/smn/subscriptions/unsubscribe?token=" + targets[0].unsubscribe_token, {},
           nullptr);
  EXPECT_EQ(unsubscribed.status, 200);
  EXPECT_EQ(call("DELETE", "/v2/project-a/notifications/subscriptions/" + urn).status, 200);
  EXPECT_EQ(call("DELETE", "/v2/project-a/notifications/subscriptions/" + urn).status, 404);
  EXPECT_EQ(body_of(call("GET", topic + "/subscriptions")).at("subscription_count").as_int64(), 0);
}

TEST_F(router_test, a_bad_subscription_is_refused_naming_the_field) {
  ASSERT_EQ(call("POST", "/v2/project-a/notifications/topics", R"({"name":"alerts"})").status, 201);
  const std::string path =
      "/v2/project-a/notifications/topics/urn:smn:region-1:project-a:alerts/subscriptions";
  const std::pair<const char*, const char*> rows[] = {
      {R"({"protocol":"email","endpoint":"https://93.184.216.34/"})", "protocol"},
      {R"({"protocol":"https","endpoint":"http://93.184.216.34/"})", "endpoint"},
      {R"({"protocol":"https","endpoint":"https://user:pw@93.184.216.34/"})", "endpoint"},
      {R"({"protocol":"http","endpoint":"http://127.0.0.1:8080/"})",
       "endpoint: 127.0.0.1 is a loopback address"},
      {R"({"protocol":"http","endpoint":"http://169.254.169.254/"})", "link-local"},
      {R"({"protocol":"http"})", "endpoint"},
      {R"({"endpoint":"http://93.184.216.34/"})", "protocol"},
  };
  for (const auto& [body, field] : rows) {
    const auto response = call("POST", path, body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_EQ(error_code_of(response), "CSMS.0002") << body;
    EXPECT_NE(error_msg_of(response).find(field), std::string::npos) << error_msg_of(response);
  }
  const auto missing = call(
      "POST", "/v2/project-a/notifications/topics/urn:smn:region-1:project-a:nope/subscriptions",
      R"({"protocol":"https","endpoint":"https://93.184.216.34/"})");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(body_of(call("GET", path)).at("subscription_count").as_int64(), 0);
}

TEST_F(router_test, topics_of_another_project_are_invisible) {
  ASSERT_EQ(call("POST", "/v2/project-a/notifications/topics", R"({"name":"mine"})").status, 201);
  const auto theirs = call("GET", "/v2/project-b/notifications/topics", {}, k_token_b);
  EXPECT_EQ(body_of(theirs).at("topic_count").as_int64(), 0);
  EXPECT_EQ(call("GET", "/v2/project-b/notifications/topics/urn:smn:region-1:project-a:mine", {},
                 k_token_b)
                .status,
            404);
}

TEST_F(router_test, wrong_methods_say_what_is_allowed) {
  const auto response = call("DELETE", "/v1/project-a/csms/events");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.header("Allow"), "GET, HEAD, POST");
}

TEST_F(router_test, every_bad_input_gets_its_status_and_code_and_changes_nothing) {
  seed();
  // Everything stored in the project, as the API shows it (the topic list without its
  // per-request request_id).
  const auto snapshot = [&] {
    auto topics = body_of(call("GET", "/v2/project-a/notifications/topics"));
    topics.erase("request_id");
    return call("GET", "/v1/project-a/csms/events?limit=1000").body +
           call("GET", "/v1/project-a/secrets?limit=1000").body +
           call("GET", "/v1/project-a/csms/notification-records").body + json::serialize(topics);
  };
  const auto before = snapshot();
  const auto table = testing::bad_inputs();
  ASSERT_GE(table.size(), 60U);
  for (const auto& row : table) {
    SCOPED_TRACE(row.why);
    const auto response = call(row.method, row.target, row.body, row.token);
    EXPECT_EQ(response.status, row.status) << response.body;
    EXPECT_EQ(error_code_of(response), row.error_code) << error_msg_of(response);
    EXPECT_FALSE(error_msg_of(response).empty());
    // Both shapes: the documented nested object and the flat fields the SDKs read.
    const auto body = body_of(response);
    EXPECT_EQ(body.at("error_code"), body.at("error").at("error_code")) << response.body;
    EXPECT_EQ(body.at("error_msg"), body.at("error").at("error_msg")) << response.body;
  }
  EXPECT_EQ(snapshot(), before) << "a refused request changed stored state";
}

TEST_F(router_test, messages_name_the_offending_field) {
  seed();
  EXPECT_NE(error_msg_of(call("POST", "/v1/project-a/csms/events", R"({"name":1})")).find("name"),
            std::string::npos);
  EXPECT_NE(error_msg_of(call("GET", "/v1/project-a/csms/events?limit=0")).find("limit"),
            std::string::npos);
  EXPECT_NE(error_msg_of(call("DELETE", "/v1/project-a/csms/events/existing")).find("1 secret"),
            std::string::npos);
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

TEST_F(router_test, any_content_type_spelling_of_json_is_taken_and_bodiless_requests_ignore_it) {
  const std::string body =
      R"({"name":"typed","event_types":["SECRET_ROTATED"],"state":"ENABLED","notification":)"
      R"({"target_type":"SMN","target_id":"urn:smn:region-1:project-a:t","target_name":"t"}})";
  const auto with_type = [&](std::string method, std::string target, std::string type,
                             std::string request_body) {
    HttpRequest request{std::move(method),
                        std::move(target),
                        {{"X-Auth-Token", k_token_a}, {"Content-Type", std::move(type)}},
                        std::move(request_body)};
    return router_.handle(request);
  };
  int created = 0;
  for (const char* type :
       {"application/json", "application/json;charset=UTF-8", "APPLICATION/JSON; Charset=utf-8",
        "application/x-www-form-urlencoded"}) {
    SCOPED_TRACE(type);
    auto named = body;
    named.replace(named.find("typed"), 5, "typed-" + std::to_string(++created));
    EXPECT_EQ(with_type("POST", "/v1/project-a/csms/events", type, named).status, 200);
  }
  // The SDKs send application/json on GET and DELETE, which have no body.
  EXPECT_EQ(with_type("GET", "/v1/project-a/csms/events/typed-1", "application/json", "").status,
            200);
  EXPECT_EQ(with_type("DELETE", "/v1/project-a/csms/events/typed-1", "text/plain", "").status, 204);
}

TEST_F(router_test, two_auth_tokens_are_refused_whichever_is_right) {
  HttpRequest request{"GET", "/v1/project-a/csms/events", {}, {}};
  request.headers = {{"X-Auth-Token", k_token_a}, {"x-auth-token", "not-a-token"}};
  const auto response = router_.handle(request);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(error_code_of(response), "CSMS.0002");
  EXPECT_NE(error_msg_of(response).find("X-Auth-Token"), std::string::npos);
}

TEST_F(router_test, head_answers_as_get_wherever_get_is_served) {
  seed();
  for (const std::string target :
       {"/v1/project-a/csms/events", "/v1/project-a/csms/events/existing",
        "/v1/project-a/csms/notification-records", "/v1/project-a/secrets",
        "/v1/project-a/secrets/db", "/v1/project-a/secrets/db/versions/v1",
        "/v2/project-a/notifications/topics",
        "/v2/project-a/notifications/topics/urn:smn:region-1:project-a:topic-a",
        "/v1/project-a/csms/events/missing"}) {
    SCOPED_TRACE(target);
    const auto get = call("GET", target);
    const auto head = call("HEAD", target);
    EXPECT_EQ(head.status, get.status);
    EXPECT_EQ(head.header("Content-Type"), get.header("Content-Type"));
  }
  const auto refused = call("HEAD", "/v1/project-a/csms/lifecycle-events");
  EXPECT_EQ(refused.status, 405);
  EXPECT_EQ(refused.header("Allow"), "POST");
}

TEST_F(router_test, a_forgotten_secret_is_gone_with_its_timers) {
  seed();
  ASSERT_EQ(call("PUT", "/v1/project-a/secrets/db/versions/v1",
                 "{\"expire_time\":" + std::to_string(to_epoch_ms(clock_->now()) + 60'000) + "}")
                .status,
            200);
  EXPECT_EQ(call("DELETE", "/v1/project-a/csms/events/existing").status, 400) << "in use";

  const auto forgotten = call("DELETE", "/v1/project-a/secrets/db");
  EXPECT_EQ(forgotten.status, 204);
  EXPECT_EQ(call("GET", "/v1/project-a/secrets/db").status, 404);
  EXPECT_TRUE(body_of(call("GET", "/v1/project-a/secrets/db/versions/v1"))
                  .at("version")
                  .at("version_metadata")
                  .at("expire_time")
                  .is_null())
      << "its timer is gone";
  EXPECT_EQ(call("DELETE", "/v1/project-a/csms/events/existing").status, 204)
      << "the event it held is free";
  EXPECT_EQ(call("DELETE", "/v1/project-a/secrets/db").status, 404) << "forgotten once";

  // A secret subscribed to nothing ([]) can be forgotten too.
  ASSERT_EQ(call("PUT", "/v1/project-a/secrets/empty", R"({"event_subscriptions":[]})").status,
            200);
  EXPECT_EQ(call("DELETE", "/v1/project-a/secrets/empty").status, 204);
  EXPECT_EQ(call("DELETE", "/v1/project-b/secrets/empty", {}, k_token_b).status, 404)
      << "projects are isolated";
}

TEST_F(router_test, topics_are_paged_with_smns_offset_and_limit) {
  for (const char* name : {"a", "b", "c", "d", "e"}) {
    ASSERT_EQ(call("POST", "/v2/project-a/notifications/topics",
                   std::string(R"({"name":")") + name + R"("})")
                  .status,
              201);
  }
  const auto names = [&](const std::string& query) {
    const auto body = body_of(call("GET", "/v2/project-a/notifications/topics" + query));
    std::string out = std::to_string(body.at("topic_count").as_int64()) + ":";
    for (const auto& topic : body.at("topics").as_array()) out += topic.at("name").as_string();
    return out;
  };
  EXPECT_EQ(names(""), "5:abcde");
  EXPECT_EQ(names("?limit=2"), "5:ab");
  EXPECT_EQ(names("?offset=2&limit=2"), "5:cd");
  EXPECT_EQ(names("?offset=4&limit=100"), "5:e");
  EXPECT_EQ(names("?offset=5"), "5:") << "past the end: empty, the total still told";
  EXPECT_EQ(names("?offset=&limit="), "5:abcde") << "empty values count as absent";
}

TEST_F(router_test, record_markers_count_only_the_projects_own_records) {
  seed();  // one record in project-a
  // Much traffic in project-b: its own event, secret and topic.
  ASSERT_EQ(
      call("POST", "/v2/project-b/notifications/topics", R"({"name":"tb"})", k_token_b).status,
      201);
  ASSERT_EQ(
      call(
          "POST", "/v1/project-b/csms/events",
          R"({"name":"eb","event_types":["SECRET_ROTATED"],"state":"ENABLED","notification":)"
          R"({"target_type":"SMN","target_id":"urn:smn:region-1:project-b:tb","target_name":"tb"}})",
          k_token_b)
          .status,
      200);
  ASSERT_EQ(call("PUT", "/v1/project-b/secrets/sb", R"({"event_subscriptions":["eb"]})", k_token_b)
                .status,
            200);
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(call("POST", "/v1/project-b/csms/lifecycle-events",
                   R"({"secret_name":"sb","event_type":"SECRET_ROTATED"})", k_token_b)
                  .status,
              200);
  }
  ASSERT_EQ(call("POST", "/v1/project-a/csms/lifecycle-events",
                 R"({"secret_name":"db","event_type":"SECRET_ROTATED"})")
                .status,
            200);
  // project-a holds two records: its first page of one ends at its own second record.
  const auto page = body_of(call("GET", "/v1/project-a/csms/notification-records?limit=1"));
  EXPECT_EQ(page.at("page_info").at("next_marker").as_string(), "2")
      << "project-b's seven records are not counted";
  const auto next =
      body_of(call("GET", "/v1/project-a/csms/notification-records?limit=1&marker=2"));
  EXPECT_EQ(next.at("records").as_array().size(), 1U);
  EXPECT_TRUE(next.at("page_info").at("next_marker").is_null());
}

TEST(router_unavailable_test, a_full_delivery_queue_answers_503_with_retry_after) {
  Engine engine(Options{
      .delivery = DeliveryMode::asynchronous, .delivery_workers = 0, .max_queued_deliveries = 1});
  SmnTopics topics("region-1");
  const RestRouter router(engine, topics, {{k_token_a, k_project_a}});
  const auto call = [&](std::string method, std::string target, std::string body) {
    return router.handle(HttpRequest{
        std::move(method), std::move(target), {{"X-Auth-Token", k_token_a}}, std::move(body)});
  };
  for (const auto& request : testing::seed_requests()) {
    if (request.target.find("lifecycle") != std::string::npos) continue;
    ASSERT_EQ(call(request.method, request.target, request.body).status, request.status);
  }
  const std::string fire = R"({"secret_name":"db","event_type":"SECRET_ROTATED"})";
  EXPECT_EQ(call("POST", "/v1/project-a/csms/lifecycle-events", fire).status, 200);
  const auto full = call("POST", "/v1/project-a/csms/lifecycle-events", fire);
  EXPECT_EQ(full.status, 503) << full.body;
  EXPECT_EQ(full.header("Retry-After"), "1");
  EXPECT_NE(full.body.find("HERALD.0503"), std::string::npos) << full.body;
}

TEST(router_unavailable_test, a_store_that_cannot_write_answers_503_naming_no_file) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("herald-router-503-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "herald.db";
  auto engine =
      Engine::open(open_sqlite_store(path).value(), Options{.delivery = DeliveryMode::synchronous})
          .value();
  SmnTopics topics("region-1");
  const RestRouter router(*engine, topics, {{k_token_a, k_project_a}});
  const auto seed = testing::seed_requests().front();
  ASSERT_EQ(
      router.handle({seed.method, seed.target, {{"X-Auth-Token", k_token_a}}, seed.body}).status,
      200);
  std::filesystem::remove(path);
  const auto refused = router.handle({"PUT",
                                      "/v1/project-a/secrets/db",
                                      {{"X-Auth-Token", k_token_a}},
                                      R"({"event_subscriptions":["existing"]})"});
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.header("Retry-After"), "1");
  EXPECT_EQ(refused.body.find(dir.string()), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("removed or replaced"), std::string::npos) << refused.body;
  const auto shown =
      router.handle({"GET", "/v1/project-a/secrets/db", {{"X-Auth-Token", k_token_a}}, {}});
  EXPECT_EQ(shown.status, 404) << "the refused write changed nothing in memory";
  engine.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

TEST(router_request_id_test, the_callers_id_is_echoed_within_its_bound) {
  Engine engine;
  SmnTopics topics("region-1");
  const RestRouter router(engine, topics, {{testing::k_token_a, testing::k_project_a}});
  const auto answer_id = [&](std::vector<std::string> ids, std::string target) {
    HttpRequest request{"GET", std::move(target), {{"X-Auth-Token", testing::k_token_a}}, {}};
    for (auto& id : ids) request.headers.emplace_back("X-Request-Id", std::move(id));
    return std::string(router.handle(request).header("X-Request-Id"));
  };
  const std::string events = "/v1/project-a/csms/events";
  EXPECT_EQ(answer_id({"req-42 from the gateway"}, events), "req-42 from the gateway");
  EXPECT_EQ(answer_id({"req-42"}, "/v1/project-a/nothing"), "req-42") << "errors echo it too";
  const std::string longest(k_max_request_id_bytes, 'x');
  EXPECT_EQ(answer_id({longest}, events), longest);
  // Anything else gets a fresh id (a UUID) instead of being echoed.
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {longest + "x"}, {"tab\there"}, {"caf\xc3\xa9"}, {""}, {"one", "two"}}) {
    const auto id = answer_id(bad, events);
    EXPECT_EQ(id.size(), 36U) << id;
    for (const auto& given : bad) EXPECT_NE(id, given);
  }
  EXPECT_NE(answer_id({}, events), answer_id({}, events)) << "a new one each time";
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

// The methods each path of docs/openapi.yaml documents, read from its layout (paths at two
// spaces, methods at four; the file's structure is the linter's business, openapi_lint).
std::map<std::string, std::set<std::string>> documented_routes() {
  std::ifstream in(std::string(HERALD_SOURCE_DIR) + "/docs/openapi.yaml");
  std::map<std::string, std::set<std::string>> routes;
  std::string line;
  std::string path;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (!in_paths) continue;
    if (line.starts_with("  /") && line.ends_with(":")) {
      path = line.substr(2, line.size() - 3);
      routes[path];
      continue;
    }
    for (const char* method : {"get", "post", "put", "delete", "patch", "head"}) {
      if (line == std::string("    ") + method + ":") {
        std::string upper(method);
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        routes[path].insert(upper);
      }
    }
  }
  return routes;
}

TEST(router_route_table_test, openapi_documents_every_route_served_and_no_other) {
  const auto documented = documented_routes();
  ASSERT_GE(documented.size(), 15U) << "docs/openapi.yaml not read";
  std::map<std::string, std::set<std::string>> served;
  for (const auto& route : RestRouter::route_table()) {
    auto& methods = served[std::string(route.path_template)];
    std::string_view rest = route.methods;
    while (!rest.empty()) {
      const auto comma = rest.find(", ");
      // HEAD is served wherever GET is (docs/rest.md); OpenAPI documents the GET.
      if (rest.substr(0, comma) != "HEAD") methods.emplace(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 2);
    }
  }
  EXPECT_EQ(documented, served);
}

TEST(router_route_table_test, the_table_is_what_the_router_serves) {
  Engine engine;
  SmnTopics topics("region-1");
  RestRouter router(engine, topics, {{testing::k_token_a, testing::k_project_a}});
  router.set_metrics(std::make_shared<Metrics>());
  const std::vector<std::pair<std::string, std::string>> values = {
      {"{project_id}", "project-a"},
      {"{event_name}", "e"},
      {"{secret_name}", "s"},
      {"{version_id}", "v"},
      {"{topic_urn}", "urn:smn:region-1:project-a:t"},
      {"{subscription_urn}", "x"},
      {"{key_id}", "k"}};
  for (const auto& route : RestRouter::route_table()) {
    std::string target(route.path_template);
    for (const auto& [name, value] : values) {
      for (auto at = target.find(name); at != std::string::npos; at = target.find(name)) {
        target.replace(at, name.size(), value);
      }
    }
    for (const std::string method : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"}) {
      SCOPED_TRACE(method + " " + target);
      const auto answer =
          router.handle(HttpRequest{method, target, {{"X-Auth-Token", testing::k_token_a}}, "{}"});
      const bool listed = route.methods.find(method) != std::string_view::npos;
      if (listed) {
        EXPECT_NE(answer.status, 405) << answer.body;
        EXPECT_EQ(answer.body.find("CSMS.0003"), std::string::npos) << answer.body;
      } else {
        EXPECT_EQ(answer.status, 405) << answer.body;
      }
    }
  }
}

}  // namespace
}  // namespace herald
