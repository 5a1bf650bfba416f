// herald-server's HTTP edge against hostile and broken clients, over real sockets: trailers,
// HEAD, framing errors, huge queries, Expect, absolute-form targets, the descriptor limit, a
// second process on one store, and a store file removed while the server runs.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "http_client.hpp"
#include "raw_socket.hpp"
#include "rest_support.hpp"
#include "server_process.hpp"
#include "test_files.hpp"

namespace herald {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::k_token_a;
using testing::RawSocket;
using Headers = std::vector<std::pair<std::string, std::string>>;

const std::vector<std::string> k_args = {"--token", std::string(k_token_a) + "=project-a"};

std::string event_body(const std::string& name) {
  return R"({"name":")" + name +
         R"(","event_types":["SECRET_ROTATED"],"state":"ENABLED","notification":)"
         R"({"target_type":"SMN","target_id":"urn:smn:region-1:project-a:t","target_name":"t"}})";
}

// The status of the first response in `raw` ("HTTP/1.1 200 OK..." → 200), or 0.
int status_of(const std::string& raw) {
  if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12) return 0;
  return std::stoi(raw.substr(9, 3));
}

// A temporary folder, removed at the end.
using testing::TempDir;

class http_edge_test : public ::testing::Test {
 protected:
  http_edge_test() : server_(k_args), client_(http::parse_endpoint(server_.url()).value()) {}

  http::Response call(const std::string& method, const std::string& target,
                      const std::string& body = {}) {
    auto response = client_.request(method, target, {{"X-Auth-Token", k_token_a}}, body);
    EXPECT_TRUE(response.ok()) << response.error().message();
    return response.ok() ? std::move(response).value() : http::Response{};
  }

  // Sends `raw` on a new connection; what comes back within `limit`, "<closed>" at the end when
  // the server closed the connection.
  [[nodiscard]] std::string exchange(const std::string& raw,
                                     std::chrono::milliseconds limit = 3s) const {
    const RawSocket socket(server_.port());
    EXPECT_TRUE(socket.connected());
    (void)socket.send(raw);  // the server may close before reading all of a huge request
    return socket.read_all(limit);
  }

  // A subscribed secret "db" whose SECRET_ROTATED notifies topic t, as the trigger tests need.
  void seed() {
    ASSERT_EQ(call("POST", "/v1/project-a/csms/events", event_body("e")).status, 200);
    ASSERT_EQ(call("POST", "/v2/project-a/notifications/topics", R"({"name":"t"})").status, 201);
    ASSERT_EQ(call("PUT", "/v1/project-a/secrets/db", R"({"event_subscriptions":["e"]})").status,
              200);
  }

  testing::ServerProcess server_;
  http::Client client_;
};

TEST_F(http_edge_test, a_token_in_a_chunked_trailer_authenticates_nothing) {
  seed();
  const std::string body = R"({"secret_name":"db","event_type":"SECRET_ROTATED"})";
  const auto chunked = [&](const std::string& header_token, const std::string& trailer_token) {
    return "POST /v1/project-a/csms/lifecycle-events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
           header_token + "Transfer-Encoding: chunked\r\n\r\n" + fmt::format("{:x}", body.size()) +
           "\r\n" + body + "\r\n0\r\n" + trailer_token + "\r\n";
  };
  const auto refused = exchange(chunked("", std::string("X-Auth-Token: ") + k_token_a + "\r\n"));
  EXPECT_EQ(status_of(refused), 401) << refused;
  EXPECT_NE(refused.find("HERALD.0401"), std::string::npos) << refused;
  const auto records = json::parse(call("GET", "/v1/project-a/csms/notification-records").body);
  EXPECT_TRUE(records.at("records").as_array().empty()) << "nothing was triggered";

  // The same request with the token in its header section is served: only the trailer was wrong.
  const auto served = exchange(chunked(std::string("X-Auth-Token: ") + k_token_a + "\r\n", ""));
  EXPECT_EQ(status_of(served), 200) << served;
}

TEST_F(http_edge_test, head_answers_the_gets_status_and_headers_without_a_body) {
  seed();
  const auto get = call("GET", "/v1/project-a/csms/events");
  ASSERT_EQ(get.status, 200);
  // HEAD, then GET, pipelined on one connection: the GET must be read as the next response.
  const RawSocket socket(server_.port());
  const std::string auth = std::string("X-Auth-Token: ") + k_token_a + "\r\n";
  ASSERT_TRUE(socket.send("HEAD /v1/project-a/csms/events HTTP/1.1\r\nHost: x\r\n" + auth +
                          "\r\nGET /v1/project-a/csms/events HTTP/1.1\r\nHost: x\r\n" + auth +
                          "\r\n"));
  const auto raw = socket.read_until(get.body, 1, 3s);
  const auto head_end = raw.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << raw;
  const std::string head = raw.substr(0, head_end);
  EXPECT_EQ(status_of(head), 200) << head;
  EXPECT_NE(head.find("Content-Length: " + std::to_string(get.body.size())), std::string::npos)
      << "the GET's length: " << head;
  EXPECT_NE(head.find("Content-Type: application/json;charset=UTF-8"), std::string::npos) << head;
  EXPECT_EQ(raw.compare(head_end + 4, 9, "HTTP/1.1 "), 0)
      << "no body after HEAD: the next bytes are the GET's response\n"
      << raw;
  EXPECT_NE(raw.find(get.body), std::string::npos) << "the GET's body follows in full";

  // HEAD where only POST is served: 405 with Allow, still without a body.
  const auto refused = exchange("HEAD /v1/project-a/csms/lifecycle-events HTTP/1.1\r\nHost: x\r\n" +
                                auth + "Connection: close\r\n\r\n");
  EXPECT_EQ(status_of(refused), 405) << refused;
  EXPECT_NE(refused.find("Allow: POST"), std::string::npos) << refused;
  EXPECT_EQ(refused.substr(refused.find("\r\n\r\n") + 4), "<closed>") << "no body";
}

TEST_F(http_edge_test, ten_thousand_query_parameters_are_refused_whole) {
  std::string query;
  for (int i = 0; i < 10'000; ++i) query += "p" + std::to_string(i) + "=1&";
  const auto started = std::chrono::steady_clock::now();
  const auto answer = exchange("GET /v1/project-a/csms/events?" + query +
                               " HTTP/1.1\r\nHost: x\r\nX-Auth-Token: " + k_token_a + "\r\n\r\n");
  EXPECT_EQ(status_of(answer), 414) << answer.substr(0, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s) << "refused from the request line";
  // Within the request line's limit, more than 100 parameters are refused by the router.
  std::string many;
  for (int i = 0; i < 101; ++i) many += "p" + std::to_string(i) + "=1&";
  const auto response = call("GET", "/v1/project-a/csms/events?" + many);
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("more than 100 parameters"), std::string::npos) << response.body;
  EXPECT_EQ(call("GET", "/v1/project-a/csms/events").status, 200) << "still serving";
}

TEST_F(http_edge_test, each_malformed_message_is_answered_with_its_status_and_closed) {
  struct Row {
    std::string why;
    std::string raw;
    int status;
  };
  const std::string start = "POST /v1/project-a/csms/events HTTP/1.1\r\nHost: x\r\n";
  std::string many_fields;
  for (int i = 0; i < 150; ++i) many_fields += "f" + std::to_string(i) + ": v\r\n";
  std::string ten_thousand_fields;
  for (int i = 0; i < 10'000; ++i) ten_thousand_fields += "f" + std::to_string(i) + ": v\r\n";
  const std::vector<Row> table = {
      {"a 1 MiB header field", start + "Big: " + std::string(1 << 20, 'a') + "\r\n\r\n", 431},
      {"10 000 header fields", start + ten_thousand_fields + "\r\n", 431},
      {"150 header fields (small)", start + many_fields + "\r\n", 431},
      {"a 100 KiB request line",
       "GET /v1/project-a/csms/events?" + std::string(100 * 1024, 'a') +
           " HTTP/1.1\r\nHost: x\r\n\r\n",
       414},
      {"Content-Length with Transfer-Encoding",
       start + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"Transfer-Encoding then Content-Length",
       start + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400},
      {"two different Content-Lengths", start + "Content-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
       400},
      {"a Content-Length that is not a number", start + "Content-Length: 1x\r\n\r\n", 400},
      {"a chunk size that is not hex",
       start + "Transfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", 400},
      {"chunk lines ended by LF alone", start + "Transfer-Encoding: chunked\r\n\r\n2\nab\n0\n\n",
       400},
      {"a header ended by LF alone",
       "POST /v1/project-a/csms/events HTTP/1.1\nHost: x\nContent-Length: 0\n\n", 400},
      {"gzip before chunked", start + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
      {"chunked before gzip", start + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400},
      {"a coding without chunked", start + "Transfer-Encoding: gzip\r\n\r\n", 400},
      {"obs-fold in Transfer-Encoding", start + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
       400},
      {"obs-fold in any field", start + "X-Thing: a\r\n b\r\nContent-Length: 0\r\n\r\n", 400},
      {"Transfer-Encoding on HTTP/1.0",
       "POST /v1/project-a/csms/events HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400},
      {"HTTP/1.1 without Host", "GET /v1/project-a/csms/events HTTP/1.1\r\n\r\n", 400},
      {"two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"a space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
      {"HTTP/2.0 in the request line", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
      {"a chunk line that never ends",
       start + "Transfer-Encoding: chunked\r\n\r\n1;" + std::string(100 * 1024, 'a'), 400},
      {"Expect that is not 100-continue", start + "Expect: 200-ok\r\nContent-Length: 0\r\n\r\n",
       400},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(row.why);
    const auto answer = exchange(row.raw);
    EXPECT_EQ(status_of(answer), row.status) << answer.substr(0, 300);
    EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer.substr(0, 300);
    EXPECT_NE(answer.find("\"error_code\""), std::string::npos) << answer.substr(0, 300);
    EXPECT_TRUE(answer.ends_with("<closed>")) << "the connection closes: " << answer.substr(0, 300);
  }
  EXPECT_TRUE(
      json::parse(call("GET", "/v1/project-a/csms/events").body).at("events").as_array().empty())
      << "nothing was created by any of them";
}

TEST_F(http_edge_test, an_http_1_0_request_is_answered_in_1_0_and_closed) {
  const auto answer =
      exchange("GET /v1/project-a/csms/events HTTP/1.0\r\nX-Auth-Token: " + std::string(k_token_a) +
               "\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.0 200", 0), 0U) << answer;
  EXPECT_TRUE(answer.ends_with("<closed>")) << "no keep-alive asked: closed";
  const auto kept = exchange(
      "GET /v1/project-a/csms/events HTTP/1.0\r\nConnection: keep-alive\r\n"
      "X-Auth-Token: " +
          std::string(k_token_a) + "\r\n\r\n",
      500ms);
  EXPECT_NE(kept.find("Connection: keep-alive"), std::string::npos) << kept;
  EXPECT_FALSE(kept.ends_with("<closed>")) << "kept alive as asked";
}

TEST_F(http_edge_test, expect_100_continue_is_answered_before_the_body) {
  const std::string body = event_body("after-continue");
  const RawSocket socket(server_.port());
  ASSERT_TRUE(socket.send("POST /v1/project-a/csms/events HTTP/1.1\r\nHost: x\r\nX-Auth-Token: " +
                          std::string(k_token_a) + "\r\nExpect: 100-continue\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n"));
  EXPECT_EQ(socket.read_until("\r\n\r\n", 1, 3s), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(socket.send(body));
  const auto answer = socket.read_until("}}", 1, 3s);
  EXPECT_EQ(status_of(answer), 200) << answer;
  EXPECT_NE(answer.find("after-continue"), std::string::npos) << answer;
}

TEST_F(http_edge_test, an_absolute_form_target_is_served_as_its_path) {
  seed();
  const auto answer =
      exchange("GET http://127.0.0.1:" + std::to_string(server_.port()) +
               "/v1/project-a/csms/events/e HTTP/1.1\r\nHost: other\r\nX-Auth-Token: " +
               std::string(k_token_a) + "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(answer), 200) << answer;
  EXPECT_NE(answer.find("\"name\":\"e\""), std::string::npos) << answer;
}

// CPU time (user + system) the process has used, from /proc.
std::chrono::milliseconds cpu_time(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> values;
  for (std::string value; fields >> value;) values.push_back(value);
  // After the command: state is field 3, utime field 14, stime field 15 (1-based, man 5 proc).
  const long ticks = std::stol(values.at(11)) + std::stol(values.at(12));
  return std::chrono::milliseconds(ticks * 1000 / sysconf(_SC_CLK_TCK));
}

TEST(http_edge_descriptor_test, a_server_out_of_descriptors_waits_instead_of_spinning) {
#ifdef HERALD_SANITIZED
  GTEST_SKIP() << "a sanitizer's runtime misreports once the process is out of descriptors (UBSan "
                  "probes memory through a pipe): this test runs in the dev preset";
#endif
  auto args = k_args;
  args.insert(args.end(), {"--header-timeout-ms", "60000"});  // idle clients keep their socket
  testing::ServerProcess server(args, {.max_descriptors = 64});
  std::vector<RawSocket> idle;
  for (int i = 0; i < 100; ++i) {
    idle.emplace_back(server.port());
    ASSERT_TRUE(idle.back().connected()) << "connection " << i;
  }
  // The server is full once a request gets no answer: its descriptors are all taken.
  const RawSocket waiting(server.port());
  ASSERT_TRUE(waiting.send("GET /v1/project-a/csms/events HTTP/1.1\r\nHost: x\r\nX-Auth-Token: " +
                           std::string(k_token_a) + "\r\n\r\n"));
  const auto before = cpu_time(server.pid());
  const auto answer = waiting.read_all(2s);  // measures for two seconds of real time
  const auto used = cpu_time(server.pid()) - before;
  EXPECT_EQ(answer, "") << "not served while every descriptor is taken";
  EXPECT_LT(used, 100ms) << "under 5 % of a core over 2 s while full";

  idle.clear();  // the idle clients leave: the server accepts again, the waiting one first
  const auto served = waiting.read_until("\r\n\r\n", 1, 5s);
  EXPECT_EQ(status_of(served), 200) << served;
  http::Client client(http::parse_endpoint(server.url()).value(), 5s);
  const auto fresh =
      client.request("GET", "/v1/project-a/csms/events", {{"X-Auth-Token", k_token_a}});
  ASSERT_TRUE(fresh.ok()) << fresh.error().message();
  EXPECT_EQ(fresh->status, 200);
}

TEST(http_edge_store_test, a_second_server_on_the_same_store_refuses_to_start) {
  TempDir dir;
  auto args = k_args;
  args.insert(args.end(), {"--store", (dir.path / "herald.db").string()});
  testing::ServerProcess first(args);
  const auto [status, message] = testing::ServerProcess::run_to_exit(args);
  EXPECT_NE(status, 0);
  EXPECT_NE(status, -1) << "the second server started listening";
  EXPECT_NE(message.find("store in use by another process"), std::string::npos) << message;
  EXPECT_NE(message.find("(pid " + std::to_string(first.pid()) + ")"), std::string::npos)
      << message;

  http::Client client(http::parse_endpoint(first.url()).value());
  const auto created = client.request("POST", "/v1/project-a/csms/events",
                                      {{"X-Auth-Token", k_token_a}}, event_body("still-mine"));
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->status, 200) << "the first keeps serving";
}

TEST(http_edge_store_test, a_store_file_removed_while_serving_refuses_writes_with_503) {
  TempDir dir;
  const auto path = dir.path / "herald.db";
  auto args = k_args;
  args.insert(args.end(), {"--store", path.string()});
  testing::ServerProcess server(args);
  http::Client client(http::parse_endpoint(server.url()).value());
  const Headers auth = {{"X-Auth-Token", k_token_a}};
  ASSERT_EQ(client.request("POST", "/v1/project-a/csms/events", auth, event_body("before"))->status,
            200);

  fs::remove(path);
  const auto refused =
      client.request("POST", "/v1/project-a/csms/events", auth, event_body("after"));
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_EQ(refused->header("Retry-After"), "1");
  EXPECT_NE(refused->body.find("HERALD.0503"), std::string::npos) << refused->body;
  EXPECT_EQ(refused->body.find(dir.path.string()), std::string::npos)
      << "no path: " << refused->body;
  EXPECT_EQ(refused->body.find("herald.db"), std::string::npos)
      << "no file name: " << refused->body;
  const auto subscribed = client.request("PUT", "/v1/project-a/secrets/db", auth,
                                         R"({"event_subscriptions":["before"]})");
  EXPECT_EQ(subscribed->status, 503) << "every write: " << subscribed->body;
  EXPECT_EQ(client.request("GET", "/v1/project-a/csms/events/after", auth)->status, 404)
      << "the refused create is not visible either";
  EXPECT_EQ(client.request("GET", "/v1/project-a/csms/events/before", auth)->status, 200)
      << "reads are still served";
  const auto log = server.stderr_text();
  EXPECT_NE(log.find("\"request failed\" request_id="), std::string::npos)
      << "the operator sees the failure: " << log;
  EXPECT_NE(log.find("route=/v1/{project_id}/csms/events status=503"), std::string::npos) << log;
  // Not ready while the store cannot be written (contract §7), without credentials.
  const auto ready = client.request("GET", "/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 503) << ready->body;
  EXPECT_NE(ready->body.find(R"("status":"unavailable")"), std::string::npos) << ready->body;
  EXPECT_NE(ready->body.find(R"("reason":)"), std::string::npos) << ready->body;
  EXPECT_EQ(client.request("GET", "/healthz")->status, 200) << "alive all the same";
}

}  // namespace
}  // namespace herald
