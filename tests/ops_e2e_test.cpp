// Operating herald-server (contract §7): --version, /healthz and /readyz, and the request log.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "herald/version.hpp"
#include "http_client.hpp"
#include "rest_support.hpp"
#include "server_process.hpp"
#include "test_files.hpp"

namespace herald {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The lines of `log` that contain `what`.
std::vector<std::string> lines_with(const std::string& log, std::string_view what) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < log.size()) {
    const auto end = log.find('\n', start);
    const auto line = log.substr(start, end - start);
    if (line.find(what) != std::string::npos) out.push_back(line);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

TEST(ops_e2e_test, both_programs_print_their_version) {
  auto [status, output] = testing::run_command(std::string(HERALD_SERVER_PATH) + " --version");
  EXPECT_EQ(status, 0);
  EXPECT_EQ(output, std::string("herald-server ") + k_version + "\n");
  std::tie(status, output) = testing::run_command(std::string(HERALD_CLI_PATH) + " --version");
  EXPECT_EQ(status, 0);
  EXPECT_EQ(output, std::string("herald ") + k_version + "\n");
}

TEST(ops_e2e_test, health_and_readiness_answer_without_credentials) {
  testing::ServerProcess server({"--token", "token-of-project-a=project-a"});
  http::Client client(http::parse_endpoint(server.url()).value());
  for (const char* path : {"/healthz", "/readyz"}) {
    SCOPED_TRACE(path);
    const auto answer = client.request("GET", path);
    ASSERT_TRUE(answer.ok());
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(json::parse(answer->body), (json::object{{"status", "ok"}}));
    EXPECT_EQ(client.request("HEAD", path)->status, 200);
    EXPECT_EQ(client.request("POST", path, {}, "{}")->status, 405);
  }
}

TEST(ops_e2e_test, each_request_is_one_line_with_its_id_route_and_status) {
  testing::ServerProcess server({"--token", "token-of-project-a=project-a"});
  http::Client client(http::parse_endpoint(server.url()).value());
  const Headers auth = {{"X-Auth-Token", testing::k_token_a}, {"X-Request-Id", "log-test-1"}};
  ASSERT_EQ(client.request("GET", "/v1/project-a/csms/events/missing", auth)->status, 404);
  ASSERT_EQ(client.request("GET", "/healthz", {{"X-Request-Id", "probe-1"}})->status, 200);
  ASSERT_EQ(client.request("GET", "/nowhere", {{"X-Request-Id", "lost-1"}})->status, 404);
  // The line is written before the answer: it is there once the answer is.
  const auto log = server.stderr_text();
  EXPECT_EQ(count(log, "log-test-1"), 1U) << log;
  const auto line = lines_with(log, "log-test-1").at(0);
  for (const char* part :
       {"\"request\"", "method=GET", "route=/v1/{project_id}/csms/events/{event_name}",
        "status=404", "project=project-a", "duration_ms="}) {
    EXPECT_NE(line.find(part), std::string::npos) << part << " in " << line;
  }
  EXPECT_EQ(line.find("missing"), std::string::npos) << "names stay out: " << line;
  EXPECT_EQ(count(log, "probe-1"), 0U) << "health probes only at debug: " << log;
  EXPECT_NE(lines_with(log, "lost-1").at(0).find("route=unmatched"), std::string::npos) << log;
}

TEST(ops_e2e_test, a_delivery_that_fails_is_one_warning_line_with_its_notification) {
  testing::ServerProcess server({"--token", "token-of-project-a=project-a"});
  http::Client client(http::parse_endpoint(server.url()).value());
  const Headers auth = {{"X-Auth-Token", testing::k_token_a}};
  // The topic does not exist: the delivery fails (FAIL).
  ASSERT_EQ(client
                .request("POST", "/v1/project-a/csms/events", auth,
                         R"({"name":"e","event_types":["SECRET_ROTATED"],"state":"ENABLED",)"
                         R"("notification":{"target_type":"SMN","target_id":)"
                         R"("urn:smn:region-1:project-a:missing","target_name":"t"}})")
                ->status,
            200);
  ASSERT_EQ(
      client.request("PUT", "/v1/project-a/secrets/db", auth, R"({"event_subscriptions":["e"]})")
          ->status,
      200);
  const auto fired = client.request("POST", "/v1/project-a/csms/lifecycle-events", auth,
                                    R"({"secret_name":"db","event_type":"SECRET_ROTATED"})");
  ASSERT_EQ(fired->status, 200);
  const auto notification = json::parse(fired->body).at("notifications").at(0).as_object();
  ASSERT_EQ(notification.at("notification_status"), "FAIL");
  const std::string id(notification.at("notification_id").as_string());
  const auto lines = lines_with(server.stderr_text(), "delivery of notification " + id);
  ASSERT_EQ(lines.size(), 1U) << server.stderr_text();
  EXPECT_NE(lines[0].find(" warning "), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("target_type=SMN"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("notification_id=" + id), std::string::npos) << lines[0];
}

TEST(ops_e2e_test, json_lines_and_the_debug_level) {
  testing::ServerProcess server(
      {"--token", "token-of-project-a=project-a", "--log-format", "json", "--log-level", "debug"});
  http::Client client(http::parse_endpoint(server.url()).value());
  ASSERT_EQ(client
                .request("GET", "/v1/project-a/csms/events",
                         {{"X-Auth-Token", testing::k_token_a}, {"X-Request-Id", "j-1"}})
                ->status,
            200);
  ASSERT_EQ(client.request("GET", "/healthz", {{"X-Request-Id", "probe-2"}})->status, 200);
  const auto log = server.stderr_text();
  const auto line = lines_with(log, "\"j-1\"").at(0);
  const auto parsed = json::parse(line).as_object();
  EXPECT_EQ(parsed.at("msg"), "request");
  EXPECT_EQ(parsed.at("level"), "info");
  EXPECT_EQ(parsed.at("route"), "/v1/{project_id}/csms/events");
  EXPECT_EQ(parsed.at("status"), 200);
  EXPECT_EQ(parsed.at("project"), "project-a");
  EXPECT_TRUE(parsed.at("duration_ms").is_double());
  // UTC with milliseconds: 2026-12-01T14:50:01.123Z
  const std::string time(parsed.at("time").as_string());
  EXPECT_EQ(time.size(), 24U) << time;
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time[19], '.');
  EXPECT_EQ(time.back(), 'Z');
  const auto probe = json::parse(lines_with(log, "\"probe-2\"").at(0)).as_object();
  EXPECT_EQ(probe.at("level"), "debug");
}

TEST(ops_e2e_test, bad_log_flags_exit_2_naming_the_value) {
  auto [status, text] = testing::ServerProcess::run_to_exit({"--log-format", "xml"});
  EXPECT_EQ(status, 2);
  EXPECT_NE(text.find("--log-format takes text or json, not xml"), std::string::npos) << text;
  std::tie(status, text) = testing::ServerProcess::run_to_exit({"--log-level", "loud"});
  EXPECT_EQ(status, 2);
  EXPECT_NE(text.find("--log-level"), std::string::npos) << text;
  EXPECT_NE(text.find("loud"), std::string::npos) << text;
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

// The value of the series `name` (with its labels, as rendered) in a /metrics text; -1 if absent.
double series(const std::string& text, const std::string& name) {
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    const std::string_view line(text.data() + start,
                                (end == std::string::npos ? text.size() : end) - start);
    if (line.starts_with(name + " ")) return std::stod(std::string(line.substr(name.size() + 1)));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return -1;
}

TEST(ops_metrics_e2e_test, metrics_pass_promtool_and_count_exactly_what_happened) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("herald-metrics-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  testing::ServerProcess server(
      {"--token", "token-of-project-a=project-a", "--store", (dir / "herald.db").string()});
  http::Client client(http::parse_endpoint(server.url()).value());
  const Headers auth = {{"X-Auth-Token", testing::k_token_a}};
  const auto metrics = [&] {
    const auto answer = client.request("GET", "/metrics");
    EXPECT_TRUE(answer.ok());
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(answer->header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    return answer->body;
  };
  const auto before = metrics();
  EXPECT_EQ(series(before, "herald_triggers_total"), 0);

  const auto event = [](const char* name, const char* type, const char* id) {
    return std::string(R"({"name":")") + name +
           R"(","event_types":["SECRET_ROTATED"],"state":"ENABLED","notification":{"target_type":")" +
           type + R"(","target_id":")" + id + R"(","target_name":"t"}})";
  };
  ASSERT_EQ(
      client.request("POST", "/v2/project-a/notifications/topics", auth, R"({"name":"t"})")->status,
      201);
  ASSERT_EQ(client
                .request("POST", "/v1/project-a/csms/events", auth,
                         event("e1", "SMN", "urn:smn:region-1:project-a:t"))
                ->status,
            200);
  ASSERT_EQ(
      client.request("POST", "/v1/project-a/csms/events", auth, event("e2", "NOPE", "x"))->status,
      200);
  ASSERT_EQ(
      client.request("PUT", "/v1/project-a/secrets/s1", auth, R"({"event_subscriptions":["e1"]})")
          ->status,
      200);
  ASSERT_EQ(
      client.request("PUT", "/v1/project-a/secrets/s2", auth, R"({"event_subscriptions":["e2"]})")
          ->status,
      200);
  const auto trigger = [&](const char* secret) {
    ASSERT_EQ(client
                  .request("POST", "/v1/project-a/csms/lifecycle-events", auth,
                           std::string(R"({"secret_name":")") + secret +
                               R"(","event_type":"SECRET_ROTATED"})")
                  ->status,
              200);
  };
  for (int i = 0; i < 3; ++i) trigger("s1");  // SMN: delivered
  for (int i = 0; i < 2; ++i) trigger("s2");  // no sink for NOPE: INVALID
  trigger("unknown");                         // accepted, matches nothing
  ASSERT_EQ(client.request("GET", "/v1/project-a/csms/events/missing", auth)->status, 404);

  // Deliveries are asynchronous with a store: wait until all five are final.
  std::string after = metrics();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (series(after, "herald_outbox_pending") != 0 &&
         std::chrono::steady_clock::now() < deadline) {
    after = metrics();
  }
  EXPECT_EQ(series(after, "herald_triggers_total"), 6);
  EXPECT_EQ(series(after, "herald_notifications_total{status=\"SUCCESS\"}"), 3);
  EXPECT_EQ(series(after, "herald_notifications_total{status=\"FAIL\"}"), 0);
  EXPECT_EQ(series(after, "herald_notifications_total{status=\"INVALID\"}"), 2);
  EXPECT_EQ(series(after, "herald_deliveries_total{target_type=\"SMN\",outcome=\"delivered\"}"), 3);
  EXPECT_EQ(
      series(after, "herald_deliveries_total{target_type=\"NOPE\",outcome=\"invalid_target\"}"), 2);
  EXPECT_EQ(series(after, "herald_delivery_attempts_total"), 5);
  EXPECT_EQ(series(after, "herald_outbox_pending"), 0);
  EXPECT_EQ(series(after,
                   "herald_http_requests_total{route=\"/v1/{project_id}/csms/"
                   "lifecycle-events\",code=\"200\"}"),
            6);
  EXPECT_EQ(series(after,
                   "herald_http_requests_total{route=\"/v1/{project_id}/csms/events/"
                   "{event_name}\",code=\"404\"}"),
            1);
  EXPECT_EQ(series(after,
                   "herald_http_request_duration_seconds_count{route=\"/v1/{project_id}/csms/"
                   "lifecycle-events\"}"),
            6);
  EXPECT_GE(series(after, "herald_store_commit_seconds_count"), 10) << "each write commits";
  EXPECT_EQ(after.find("project-a"), std::string::npos) << "no project in a label";
  EXPECT_EQ(after.find("s1"), std::string::npos) << "no secret in a label";

  // promtool (Debian's prometheus package, installed by scripts/setup.sh) finds nothing.
  const auto file = dir / "metrics.txt";
  std::ofstream(file) << after;
  auto [status, output] = testing::run_command("promtool check metrics < '" + file.string() + "'");
  EXPECT_EQ(status, 0) << "promtool check metrics: " << output;
  EXPECT_EQ(output, "") << output;
}

}  // namespace
}  // namespace herald
