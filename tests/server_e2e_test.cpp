// herald-server end to end: a real server process on a free loopback port, driven over HTTP.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "http_client.hpp"
#include "model/uuid.hpp"
#include "raw_socket.hpp"
#include "rest_support.hpp"
#include "server_process.hpp"
#include "test_files.hpp"

namespace herald {
namespace {

namespace json = boost::json;
using testing::k_token_a;
using testing::k_token_b;
using Headers = std::vector<std::pair<std::string, std::string>>;

const std::vector<std::string> k_server_args = {"--token",
                                                std::string(k_token_a) + "=project-a",
                                                "--token",
                                                std::string(k_token_b) + "=project-b",
                                                "--header-timeout-ms",
                                                "300"};

class server_e2e_test : public ::testing::Test {
 protected:
  server_e2e_test()
      : server_(k_server_args), client_(http::parse_endpoint(server_.url()).value()) {}

  http::Response call(const std::string& method, const std::string& target,
                      const std::string& body = {}, const char* token = k_token_a) {
    Headers headers;
    if (token != nullptr) headers.emplace_back("X-Auth-Token", token);
    auto response = client_.request(method, target, headers, body);
    EXPECT_TRUE(response.ok()) << response.error().message();
    return response.ok() ? std::move(response).value() : http::Response{};
  }
  static json::value body_of(const http::Response& r) { return json::parse(r.body); }

  testing::ServerProcess server_;
  http::Client client_;
};

constexpr std::string_view k_seed_request = R"({
  "name": "demo-event", "event_types": ["SECRET_VERSION_CREATED", "SECRET_VERSION_EXPIRED"],
  "state": "ENABLED",
  "notification": { "target_type": "SMN",
    "target_id": "urn:smn:region-1:project-a:test-poc",
    "target_name": "demo-smn-name" } })";

TEST_F(server_e2e_test, the_seed_flow_over_http) {
  // Create: the seed's example request.
  const auto created = call("POST", "/v1/project-a/csms/events", std::string(k_seed_request));
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.header("Content-Type"), "application/json;charset=UTF-8");
  EXPECT_TRUE(detail::is_lower_case_uuid(created.header("X-Request-Id")));
  const auto event = body_of(created).at("event").as_object();
  EXPECT_EQ(event.at("name").as_string(), "demo-event");
  EXPECT_TRUE(detail::is_lower_case_uuid(std::string(event.at("event_id").as_string())));
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  EXPECT_NEAR(static_cast<double>(event.at("create_time").as_int64()), static_cast<double>(now_ms),
              60'000.0)
      << "milliseconds, not seconds";
  EXPECT_EQ(event.at("update_time"), event.at("create_time"));

  // Show, list with paging, update.
  EXPECT_EQ(body_of(call("GET", "/v1/project-a/csms/events/demo-event")).at("event"), event);
  ASSERT_EQ(
      call(
          "POST", "/v1/project-a/csms/events",
          R"({"name":"zz-last","event_types":["SECRET_DELETED"],"state":"DISABLED",)"
          R"("notification":{"target_type":"SMN","target_id":"urn:smn:region-1:project-a:x","target_name":"x"}})")
          .status,
      200);
  const auto page = body_of(call("GET", "/v1/project-a/csms/events?limit=1"));
  EXPECT_EQ(page.at("events").at(0).at("name").as_string(), "demo-event");
  EXPECT_EQ(page.at("page_info").at("next_marker").as_string(), "demo-event");
  const auto next = body_of(call("GET", "/v1/project-a/csms/events?limit=1&marker=demo-event"));
  EXPECT_EQ(next.at("events").at(0).at("name").as_string(), "zz-last");
  EXPECT_TRUE(next.at("page_info").at("next_marker").is_null());
  const auto updated = call("PUT", "/v1/project-a/csms/events/zz-last", R"({"state":"ENABLED"})");
  EXPECT_EQ(body_of(updated).at("event").at("state").as_string(), "ENABLED");
  const auto deleted = call("DELETE", "/v1/project-a/csms/events/zz-last");
  EXPECT_EQ(deleted.status, 204);
  EXPECT_EQ(deleted.body, "");
  EXPECT_EQ(deleted.header("Content-Type"), "");

  // Topic, subscription, trigger, records.
  const auto topic = call("POST", "/v2/project-a/notifications/topics", R"({"name":"test-poc"})");
  ASSERT_EQ(topic.status, 201);
  EXPECT_EQ(body_of(topic).at("topic_urn").as_string(), "urn:smn:region-1:project-a:test-poc");
  EXPECT_EQ(call("POST", "/v2/project-a/notifications/topics", R"({"name":"test-poc"})").status,
            200);
  ASSERT_EQ(
      call("PUT", "/v1/project-a/secrets/db-password", R"({"event_subscriptions":["demo-event"]})")
          .status,
      200);
  const auto fired = call(
      "POST", "/v1/project-a/csms/lifecycle-events",
      R"({"secret_name":"db-password","event_type":"SECRET_VERSION_CREATED","version_id":"v2"})");
  ASSERT_EQ(fired.status, 200) << fired.body;
  const auto notification = body_of(fired).at("notifications").at(0);
  EXPECT_EQ(notification.at("notification_status").as_string(), "SUCCESS");
  const auto records = body_of(call("GET", "/v1/project-a/csms/notification-records"));
  const auto record = records.at("records").at(0);
  EXPECT_EQ(record.at("notification_status").as_string(), "SUCCESS");
  EXPECT_EQ(record.at("event_name").as_string(), "demo-event");
  EXPECT_EQ(record.at("notification_target_name").as_string(), "demo-smn-name");
  const auto message = json::parse(record.at("notification_content").as_string());
  EXPECT_EQ(message.at("notification_id"), notification.at("notification_id"));
  EXPECT_EQ(message.at("secret_name").as_string(), "db-password");
  EXPECT_EQ(message.at("version_id").as_string(), "v2");
}

TEST_F(server_e2e_test, bad_inputs_get_their_answer_and_change_nothing) {
  // The state the table expects (rest_support.hpp).
  for (const auto& request : testing::seed_requests()) {
    ASSERT_EQ(call(request.method, request.target, request.body).status, request.status)
        << request.method << " " << request.target;
  }
  const auto snapshot = [&] {
    auto topics = body_of(call("GET", "/v2/project-a/notifications/topics")).as_object();
    topics.erase("request_id");
    return call("GET", "/v1/project-a/csms/events?limit=1000").body +
           call("GET", "/v1/project-a/secrets?limit=1000").body +
           call("GET", "/v1/project-a/csms/notification-records").body + json::serialize(topics);
  };
  const auto before = snapshot();

  const auto table = testing::bad_inputs();
  ASSERT_GE(table.size(), 60U);
  for (const auto& row : table) {
    SCOPED_TRACE(row.why + ": " + row.method + " " + row.target.substr(0, 80));
    const auto response = call(row.method, row.target, row.body, row.token);
    EXPECT_EQ(response.status, row.status) << response.body;
    ASSERT_NO_THROW((void)body_of(response)) << response.body;
    EXPECT_EQ(body_of(response).at("error").at("error_code").as_string(), row.error_code)
        << response.body;
    // What the official SDKs read: the same code and message at the top level.
    EXPECT_EQ(body_of(response).at("error_code"), body_of(response).at("error").at("error_code"));
    EXPECT_EQ(body_of(response).at("error_msg"), body_of(response).at("error").at("error_msg"));
    // Still up: the next request on a fresh connection is answered.
    http::Client fresh(http::parse_endpoint(server_.url()).value());
    const auto alive =
        fresh.request("GET", "/v1/project-a/csms/events/existing", {{"X-Auth-Token", k_token_a}});
    ASSERT_TRUE(alive.ok()) << "the server went down";
    ASSERT_EQ(alive->status, 200);
  }
  EXPECT_EQ(snapshot(), before) << "a refused request changed stored state";
}

TEST_F(server_e2e_test, a_body_over_a_mebibyte_is_refused_from_its_header) {
  const testing::RawSocket socket(server_.port());
  ASSERT_TRUE(socket.connected());
  ASSERT_TRUE(socket.send(
      "POST /v1/project-a/csms/events HTTP/1.1\r\nHost: x\r\nX-Auth-Token: token-of-project-a\r\n"
      "Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n"));
  const auto answer = socket.read_all(std::chrono::seconds(5));
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0U) << answer;
  EXPECT_NE(answer.find("HERALD.0413"), std::string::npos);
}

TEST_F(server_e2e_test, a_slow_client_that_sends_nothing_is_dropped_after_the_timeout) {
  const testing::RawSocket socket(server_.port());
  ASSERT_TRUE(socket.connected());
  const auto start = std::chrono::steady_clock::now();
  const auto answer = socket.read_all(std::chrono::seconds(10));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(answer, "<closed>");
  EXPECT_LT(waited, std::chrono::seconds(5)) << "dropped after the 300 ms header timeout";
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_EQ(call("GET", "/v1/project-a/csms/events").status, 200) << "others are still served";
}

TEST_F(server_e2e_test, a_client_sending_its_header_slowly_is_dropped_too) {
  const testing::RawSocket socket(server_.port());
  ASSERT_TRUE(socket.connected());
  ASSERT_TRUE(socket.send("GET /v1/project-a/csms/events HTTP/1.1\r\nHost: x\r\n"));  // never ends
  const auto answer = socket.read_all(std::chrono::seconds(10));
  EXPECT_EQ(answer, "<closed>");
}

TEST_F(server_e2e_test, sigterm_finishes_the_request_in_flight_then_exits_zero) {
  ASSERT_EQ(call("POST", "/v2/project-a/notifications/topics", R"({"name":"t"})").status, 201);
  const testing::RawSocket idle(
      server_.port());  // kept alive, nothing in flight: closed by the stop
  ASSERT_TRUE(idle.connected());
  ASSERT_TRUE(
      idle.send("GET /v2/project-a/notifications/topics HTTP/1.1\r\nHost: x\r\n"
                "X-Auth-Token: token-of-project-a\r\n\r\n"));
  ASSERT_NE(idle.read_until("}", 1, std::chrono::seconds(5)).find("HTTP/1.1 200"),
            std::string::npos);

  const testing::RawSocket busy(server_.port());
  ASSERT_TRUE(busy.connected());
  const std::string body = R"({"name":"in-flight"})";
  ASSERT_TRUE(
      busy.send("POST /v2/project-a/notifications/topics HTTP/1.1\r\nHost: x\r\n"
                "X-Auth-Token: token-of-project-a\r\nExpect: 100-continue\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n"));
  // The server answers 100 Continue once it has read the header: the request is in flight.
  ASSERT_EQ(busy.read_until("\r\n\r\n", 1, std::chrono::seconds(5)),
            "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(busy.send(body.substr(0, 5)));

  server_.signal(SIGTERM);
  // The listener closes: wait (bounded) until new connections are refused.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (testing::RawSocket(server_.port()).connected()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "still accepting after SIGTERM";
  }
  EXPECT_EQ(idle.read_all(std::chrono::seconds(5)), "<closed>") << "the idle connection closes";

  ASSERT_TRUE(busy.send(body.substr(5)));
  const auto answer = busy.read_all(std::chrono::seconds(5));
  EXPECT_EQ(answer.rfind("HTTP/1.1 201", 0), 0U) << answer;
  EXPECT_NE(answer.find("urn:smn:region-1:project-a:in-flight"), std::string::npos);
  EXPECT_NE(answer.find("Connection: close"), std::string::npos);
  EXPECT_EQ(server_.wait(), 0) << "exit status after SIGTERM";
}

TEST(server_e2e_signal_test, sigint_stops_the_server_with_status_zero) {
  testing::ServerProcess server(k_server_args);
  server.signal(SIGINT);
  EXPECT_EQ(server.wait(), 0);
}

TEST_F(server_e2e_test, an_armed_expiry_fires_within_a_second) {
  const auto create = std::string(R"({"name":"expiry","event_types":["SECRET_VERSION_EXPIRED"],)") +
                      R"("state":"ENABLED","notification":{"target_type":"SMN",)" +
                      R"("target_id":"urn:smn:region-1:project-a:t","target_name":"t"}})";
  ASSERT_EQ(call("POST", "/v1/project-a/csms/events", create).status, 200);
  ASSERT_EQ(call("POST", "/v2/project-a/notifications/topics", R"({"name":"t"})").status, 201);
  ASSERT_EQ(call("PUT", "/v1/project-a/secrets/db", R"({"event_subscriptions":["expiry"]})").status,
            200);
  const auto expire_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count() +
                         300;
  const auto armed = call("PUT", "/v1/project-a/secrets/db/versions/v1",
                          "{\"expire_time\":" + std::to_string(expire_at) + "}");
  ASSERT_EQ(armed.status, 200) << armed.body;

  // The server's clock is the real one: this waits for real time to pass, bounded.
  json::value records;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    records = body_of(call("GET", "/v1/project-a/csms/notification-records"));
  } while (records.at("records").as_array().empty() && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(records.at("records").as_array().size(), 1U);
  const auto record = records.at("records").at(0);
  EXPECT_EQ(record.at("trigger_event_type").as_string(), "SECRET_VERSION_EXPIRED");
  EXPECT_EQ(record.at("notification_status").as_string(), "SUCCESS");
  const auto fired_at = record.at("create_time").as_int64();
  EXPECT_GE(fired_at, expire_at);
  EXPECT_LT(fired_at - expire_at, 1000) << "fired within a second of its time";
}

// The CLI against the same server.
std::pair<int, std::string> run_cli(const std::string& url, const std::string& args) {
  return testing::run_command("HERALD_ENDPOINT=" + url +
                              " HERALD_TOKEN=token-of-project-a HERALD_PROJECT=project-a " +
                              HERALD_CLI_PATH + " " + args);
}

TEST_F(server_e2e_test, the_cli_mirrors_the_api) {
  const auto url = server_.url();
  auto [status, output] = run_cli(url, "topic create alerts");
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("urn:smn:region-1:project-a:alerts"), std::string::npos);
  std::tie(status, output) = run_cli(url,
                                     "event create watch --types SECRET_ROTATED,SECRET_DELETED "
                                     "--target-id urn:smn:region-1:project-a:alerts");
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(body_of(http::Response{200, {}, output}).at("event").at("event_types"),
            (json::array{"SECRET_ROTATED", "SECRET_DELETED"}));
  std::tie(status, output) = run_cli(url, "secret subscribe db.password watch");
  EXPECT_EQ(status, 0) << output;
  std::tie(status, output) = run_cli(url, "trigger db.password SECRET_ROTATED --version v9");
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("\"SUCCESS\""), std::string::npos) << output;
  std::tie(status, output) = run_cli(url, "records --event-name watch --limit 5");
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("\\\"version_id\\\":\\\"v9\\\""), std::string::npos) << output;
  std::tie(status, output) = run_cli(url, "event update watch --state DISABLED");
  EXPECT_NE(output.find("\"DISABLED\""), std::string::npos) << output;
  std::tie(status, output) = run_cli(url, "event list --limit 1");
  EXPECT_NE(output.find("\"current_count\":1"), std::string::npos) << output;

  std::tie(status, output) = run_cli(url, "event delete watch");
  EXPECT_EQ(status, 1) << "the server refused: in use";
  EXPECT_NE(output.find("HERALD.1002"), std::string::npos) << output;
  std::tie(status, output) = run_cli(url, "event show nope");
  EXPECT_EQ(status, 1);
  EXPECT_NE(output.find("CSMS.0005"), std::string::npos) << output;
  std::tie(status, output) = run_cli(url, "frobnicate");
  EXPECT_EQ(status, 2) << output;
  EXPECT_NE(output.find("unknown command: frobnicate"), std::string::npos) << output;
  std::tie(status, output) = run_cli(url, "event frob");
  EXPECT_EQ(status, 2) << output;
  EXPECT_NE(output.find("unknown command: frob"), std::string::npos) << output;
  std::tie(status, output) = run_cli("http://127.0.0.1:1", "event list");
  EXPECT_EQ(status, 3) << output;
  std::tie(status, output) = run_cli(url, "--help");
  EXPECT_EQ(status, 0);
  EXPECT_NE(output.find("secret"), std::string::npos);
}

TEST_F(server_e2e_test, the_cli_is_strict_about_its_arguments_and_helps_on_each_command) {
  const auto url = server_.url();
  // An unknown flag is an error naming it, not a silent full listing.
  auto [status, output] = run_cli(url, "event list --limt 5");
  EXPECT_EQ(status, 2) << output;
  EXPECT_NE(output.find("--limt"), std::string::npos) << output;
  std::tie(status, output) = run_cli(url, "event create x --types SECRET_ROTATED");
  EXPECT_EQ(status, 2) << output;
  EXPECT_NE(output.find("--target-id"), std::string::npos) << "names the missing flag: " << output;
  std::tie(status, output) = run_cli(url, "secret expire db v1 --at soon");
  EXPECT_EQ(status, 2) << output;
  EXPECT_NE(output.find("--at"), std::string::npos) << output;
  std::tie(status, output) = run_cli(url, "-o yaml event list");
  EXPECT_EQ(status, 2) << output;
  // --help of every command: exit 0 and its own usage.
  for (const char* command :
       {"event", "event create", "event show", "event list", "event update", "event delete",
        "secret", "secret subscribe", "secret show", "secret list", "secret expire", "trigger",
        "records", "topic", "topic create", "topic list", "topic show", "topic delete",
        "completion"}) {
    SCOPED_TRACE(command);
    std::tie(status, output) = run_cli(url, std::string(command) + " --help");
    EXPECT_EQ(status, 0) << output;
    EXPECT_NE(output.find(std::string("Usage: herald ") + command), std::string::npos) << output;
  }
  // Output formats: the server's JSON, or a table.
  ASSERT_EQ(run_cli(url, "topic create alerts").first, 0);
  std::tie(status, output) = run_cli(url, "-o json topic list");
  EXPECT_EQ(status, 0) << output;
  EXPECT_NO_THROW((void)json::parse(output)) << output;
  std::tie(status, output) = run_cli(url, "topic list -o table");
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output.rfind("TOPIC_URN", 0), 0U) << output;
  EXPECT_NE(output.find("urn:smn:region-1:project-a:alerts"), std::string::npos) << output;
  // Shell completion.
  std::tie(status, output) = run_cli(url, "completion bash");
  EXPECT_EQ(status, 0);
  EXPECT_NE(output.find("complete -F _herald herald"), std::string::npos) << output;
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

TEST(server_e2e_store_test, a_restarted_server_finds_its_events_in_the_store) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("herald-e2e-store-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto args = k_server_args;
  args.insert(args.end(), {"--store", (dir / "herald.db").string()});
  const Headers auth = {{"X-Auth-Token", k_token_a}};
  std::string event_id;
  {
    testing::ServerProcess server(args);
    http::Client client(http::parse_endpoint(server.url()).value());
    const auto created = client.request(
        "POST", "/v1/project-a/csms/events", auth,
        R"({"name":"kept","event_types":["SECRET_ROTATED"],"state":"ENABLED",)"
        R"("notification":{"target_type":"SMN","target_id":"urn:smn:region-1:project-a:t","target_name":"t"}})");
    ASSERT_EQ(created->status, 200) << created->body;
    event_id = std::string(json::parse(created->body).at("event").at("event_id").as_string());
    ASSERT_EQ(
        client
            .request("PUT", "/v1/project-a/secrets/db", auth, R"({"event_subscriptions":["kept"]})")
            ->status,
        200);
    ASSERT_EQ(client.request("POST", "/v2/project-a/notifications/topics", auth, R"({"name":"t"})")
                  ->status,
              201);
    const auto fired = client.request("POST", "/v1/project-a/csms/lifecycle-events", auth,
                                      R"({"secret_name":"db","event_type":"SECRET_ROTATED"})");
    ASSERT_EQ(fired->status, 200) << fired->body;
    EXPECT_EQ(
        json::parse(fired->body).at("notifications").at(0).at("notification_status").as_string(),
        "PENDING")
        << "with a store, delivery is asynchronous";
    EXPECT_EQ(server.stop(), 0);
  }
  testing::ServerProcess server(args);
  http::Client client(http::parse_endpoint(server.url()).value());
  const auto shown = client.request("GET", "/v1/project-a/csms/events/kept", auth);
  ASSERT_EQ(shown->status, 200) << shown->body;
  EXPECT_EQ(json::parse(shown->body).at("event").at("event_id").as_string(), event_id);
  const auto secret = client.request("GET", "/v1/project-a/secrets/db", auth);
  EXPECT_EQ(json::parse(secret->body).at("secret").at("event_subscriptions"), json::array{"kept"});
  const auto topics = client.request("GET", "/v2/project-a/notifications/topics", auth);
  EXPECT_EQ(json::parse(topics->body).at("topic_count").as_int64(), 1) << "the topic was stored";
  // The notification went out before the stop, or after the restart from the outbox: either way
  // it is final, to the stored topic.
  const auto records = client.request("GET", "/v1/project-a/csms/notification-records", auth);
  const auto parsed = json::parse(records->body);
  const auto& list = parsed.at("records").as_array();
  ASSERT_EQ(list.size(), 1U) << records->body;
  EXPECT_EQ(list[0].at("notification_status").as_string(), "SUCCESS") << records->body;
  EXPECT_EQ(server.stop(), 0);
  std::filesystem::remove_all(dir);
}

TEST(server_e2e_store_test, a_store_that_is_not_a_database_stops_the_start_with_its_reason) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("herald-e2e-garbage-" + std::to_string(::getpid()) + ".db");
  { std::ofstream(path) << "definitely not sqlite, but long enough to be read as a header......."; }
  auto args = k_server_args;
  args.insert(args.end(), {"--store", path.string()});
  EXPECT_THROW(testing::ServerProcess server(args), std::runtime_error)
      << "the server must exit instead of listening";
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + ".lock");  // a store's lock file stays by design
}

}  // namespace
}  // namespace herald
