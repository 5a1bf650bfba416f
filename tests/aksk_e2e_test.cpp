// AK/SK end to end: herald-server with credentials, over HTTP and over HTTPS (a certificate made
// by the test with `openssl req`), driven by a client that signs every request as the official
// SDKs do (spec/sdk-signing.md), and the CLI doing the same.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "herald/aksk.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "test_files.hpp"

namespace herald {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr const char* k_ak = "HERALDE2EAK";
constexpr const char* k_sk = "e2e-secret-key:with=odd/chars";
constexpr const char* k_other_ak = "OTHERPROJECTAK";
constexpr const char* k_other_sk = "other-secret-key";

using testing::make_certificate;
using testing::TempDir;
using testing::write_file;

std::vector<std::string> credential_args() {
  return {"--credential", std::string(k_ak) + ":" + k_sk + "=project-a", "--credential",
          std::string(k_other_ak) + ":" + k_other_sk + "=project-b"};
}

class aksk_e2e_test : public ::testing::TestWithParam<bool> {
 protected:
  aksk_e2e_test() {
    make_certificate(dir_.path);
    auto args = credential_args();
    args.insert(args.end(), {"--allow-private-endpoints"});
    if (tls()) {
      args.insert(args.end(), {"--tls-cert", (dir_.path / "cert.pem").string(), "--tls-key",
                               (dir_.path / "key.pem").string()});
    }
    server_ = std::make_unique<testing::ServerProcess>(args);
  }

  [[nodiscard]] bool tls() const { return GetParam(); }

  http::Client client(const char* ak = k_ak, const char* sk = k_sk,
                      std::string project = "project-a") {
    http::ClientOptions options;
    options.access_key = ak;
    options.secret_key = sk;
    options.project_id = std::move(project);
    options.ca_file = (dir_.path / "cert.pem").string();
    return {http::parse_endpoint(server_->url()).value(), options};
  }

  static json::value body_of(const http::Response& response) { return json::parse(response.body); }

  TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
};

TEST_P(aksk_e2e_test, a_signing_client_is_served_on_every_route) {
  EXPECT_EQ(server_->url().substr(0, tls() ? 8 : 7), tls() ? "https://" : "http://");
  auto signer = client();
  const auto call = [&](const std::string& method, const std::string& target,
                        const std::string& body = {}) {
    auto response = signer.request(method, target, {}, body);
    EXPECT_TRUE(response.ok()) << response.error().message();
    return response.ok() ? std::move(response).value() : http::Response{};
  };
  const std::string v1 = "/v1/project-a";
  const auto topic = call("POST", "/v2/project-a/notifications/topics", R"({"name":"alerts"})");
  ASSERT_EQ(topic.status, 201) << topic.body;
  const std::string urn(body_of(topic).at("topic_urn").as_string());

  for (const char* name : {"e1", "e2", "e3"}) {
    const auto created =
        call("POST", v1 + "/csms/events",
             std::string(R"({"name":")") + name +
                 R"(","event_types":["SECRET_ROTATED"],"state":"ENABLED","notification":)"
                 R"({"target_type":"SMN","target_id":")" +
                 urn + R"(","target_name":"alerts"}})");
    ASSERT_EQ(created.status, 200) << created.body;
  }
  // List with paging.
  const auto first = call("GET", v1 + "/csms/events?limit=2");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(body_of(first).at("events").as_array().size(), 2U);
  const std::string next(body_of(first).at("page_info").at("next_marker").as_string());
  const auto second = call("GET", v1 + "/csms/events?limit=2&marker=" + next);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(body_of(second).at("events").as_array().size(), 1U);
  // A percent-encoded query is signed and checked as the SDK encodes it: the marker's own
  // rule answers, not the signature.
  const auto odd_marker = call("GET", v1 + "/csms/events?marker=a%20b!*'()~");
  EXPECT_EQ(odd_marker.status, 400) << odd_marker.body;
  EXPECT_EQ(body_of(odd_marker).at("error_code"), "CSMS.0002");

  // Show, update.
  EXPECT_EQ(body_of(call("GET", v1 + "/csms/events/e1")).at("event").at("name"), "e1");
  const auto updated = call("PUT", v1 + "/csms/events/e1", R"({"state":"DISABLED"})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(body_of(updated).at("event").at("state"), "DISABLED");
  ASSERT_EQ(call("PUT", v1 + "/csms/events/e1", R"({"state":"ENABLED"})").status, 200);

  // Subscriptions, a trigger, its record.
  const auto subscribed = call("PUT", v1 + "/secrets/db", R"({"event_subscriptions":["e1"]})");
  ASSERT_EQ(subscribed.status, 200) << subscribed.body;
  EXPECT_EQ(body_of(call("GET", v1 + "/secrets/db")).at("secret").at("event_subscriptions"),
            (json::array{"e1"}));
  EXPECT_EQ(body_of(call("GET", v1 + "/secrets?event_name=e1")).at("secrets").as_array().size(),
            1U);
  const auto triggered = call("POST", v1 + "/csms/lifecycle-events",
                              R"({"secret_name":"db","event_type":"SECRET_ROTATED"})");
  ASSERT_EQ(triggered.status, 200) << triggered.body;
  EXPECT_EQ(body_of(triggered).at("notifications").as_array().size(), 1U);
  const auto records = call("GET", v1 + "/csms/notification-records");
  ASSERT_EQ(records.status, 200) << records.body;
  ASSERT_EQ(body_of(records).at("records").as_array().size(), 1U);
  EXPECT_EQ(body_of(records).at("records").at(0).at("event_name"), "e1");

  // The version routes, ShowSecretVersion in the SDK's shape.
  const auto at = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count() +
                  3'600'000;
  const auto armed =
      call("PUT", v1 + "/secrets/db/versions/v1", "{\"expire_time\":" + std::to_string(at) + "}");
  ASSERT_EQ(armed.status, 200) << armed.body;
  const auto shown = call("GET", v1 + "/secrets/db/versions/v1");
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(body_of(shown).at("version").at("version_metadata").at("expire_time"), at);

  // SMN subscriptions.
  const auto added = call("POST", "/v2/project-a/notifications/topics/" + urn + "/subscriptions",
                          R"({"protocol":"http","endpoint":"http://127.0.0.1:9/hook"})");
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(body_of(call("GET", "/v2/project-a/notifications/topics/" + urn + "/subscriptions"))
                .at("subscriptions")
                .as_array()
                .size(),
            1U);

  // Delete.
  EXPECT_EQ(call("DELETE", v1 + "/secrets/db").status, 204);
  EXPECT_EQ(call("DELETE", v1 + "/csms/events/e1").status, 204);
  EXPECT_EQ(call("GET", v1 + "/csms/events/e1").status, 404);
}

TEST_P(aksk_e2e_test, a_wrong_key_or_project_is_refused_and_changes_nothing) {
  const std::string events = "/v1/project-a/csms/events";
  const std::string body =
      R"({"name":"x","event_types":["SECRET_ROTATED"],"state":"ENABLED","notification":)"
      R"({"target_type":"SMN","target_id":"urn:smn:region-1:project-a:t","target_name":"t"}})";
  auto wrong_sk = client(k_ak, "not-the-secret-key");
  const auto refused = wrong_sk.request("POST", events, {}, body);
  ASSERT_TRUE(refused.ok()) << refused.error().message();
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(body_of(*refused).at("error_code"), "HERALD.0401");
  EXPECT_NE(refused->header("X-Request-Id"), "");

  auto other = client(k_other_ak, k_other_sk, "project-b");
  const auto forbidden = other.request("POST", events, {}, body);
  ASSERT_TRUE(forbidden.ok());
  EXPECT_EQ(forbidden->status, 403);
  EXPECT_EQ(body_of(*forbidden).at("error_code"), "HERALD.0403");

  auto unsigned_client = http::Client(http::parse_endpoint(server_->url()).value(),
                                      http::ClientOptions{.ca_file = (dir_.path / "cert.pem")});
  EXPECT_EQ(unsigned_client.request("GET", events)->status, 401);

  auto good = client();
  const auto listed = good.request("GET", events);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(body_of(*listed).at("events").as_array().size(), 0U) << "nothing was created";
}

INSTANTIATE_TEST_SUITE_P(transports, aksk_e2e_test, ::testing::Values(false, true),
                         [](const auto& param_info) {
                           return param_info.param ? "https" : "http";
                         });

// The CLI, as a user runs it: environment, flags, exit status, output.
std::pair<int, std::string> run_cli(const std::string& env, const std::string& args) {
  return testing::run_command(env + " " + HERALD_CLI_PATH + " " + args);
}

TEST(aksk_cli_e2e_test, the_cli_signs_over_https_and_verifies_the_certificate) {
  TempDir dir;
  make_certificate(dir.path);
  auto args = credential_args();
  args.insert(args.end(), {"--tls-cert", (dir.path / "cert.pem").string(), "--tls-key",
                           (dir.path / "key.pem").string()});
  testing::ServerProcess server(args);
  write_file(dir.path / "sk", std::string(k_sk) + "\n", fs::perms::owner_read);
  const std::string env = "HERALD_ENDPOINT=" + server.url() +
                          " HERALD_PROJECT=project-a HERALD_AK=" + k_ak +
                          " HERALD_TOKEN= HERALD_SK= HERALD_CA_FILE=";
  const std::string auth = "--sk-file '" + (dir.path / "sk").string() + "' --ca-file '" +
                           (dir.path / "cert.pem").string() + "' ";

  auto [status, output] = run_cli(env, auth + "topic create alerts");
  ASSERT_EQ(status, 0) << output;
  std::tie(status, output) =
      run_cli(env, auth +
                       "event create watch --types SECRET_ROTATED --target-id "
                       "urn:smn:region-1:project-a:alerts");
  ASSERT_EQ(status, 0) << output;
  EXPECT_EQ(json::parse(output).at("event").at("name"), "watch");
  std::tie(status, output) = run_cli(env, auth + "event list --limit 5");
  ASSERT_EQ(status, 0) << output;
  EXPECT_EQ(json::parse(output).at("events").as_array().size(), 1U);
  // The secret key from the environment works the same.
  std::tie(status, output) =
      run_cli(env + " HERALD_SK='" + k_sk + "'",
              "--ca-file '" + (dir.path / "cert.pem").string() + "' event show watch");
  ASSERT_EQ(status, 0) << output;

  // A wrong secret key: the server's 401, exit 1.
  write_file(dir.path / "bad-sk", "wrong\n", fs::perms::owner_read | fs::perms::owner_write);
  std::tie(status, output) =
      run_cli(env, "--sk-file '" + (dir.path / "bad-sk").string() + "' --ca-file '" +
                       (dir.path / "cert.pem").string() + "' event list");
  EXPECT_EQ(status, 1) << output;
  EXPECT_NE(output.find("HERALD.0401"), std::string::npos) << output;
  // A certificate the CLI does not trust: not reached, exit 3.
  std::tie(status, output) = run_cli(env + " SSL_CERT_FILE=/dev/null SSL_CERT_DIR=/nonexistent",
                                     "--sk-file '" + (dir.path / "sk").string() + "' event list");
  EXPECT_EQ(status, 3) << output;
  EXPECT_NE(output.find("certificate verify failed"), std::string::npos) << output;
  // No secret key for the access key: a usage error.
  std::tie(status, output) = run_cli(env, "event list");
  EXPECT_EQ(status, 2) << output;
  EXPECT_NE(output.find("HERALD_SK"), std::string::npos) << output;
}

// A TLS client limited to `max_version`: whether its handshake with 127.0.0.1:port succeeds.
bool tls_handshake_succeeds(int port, int max_version) {
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(context, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(context, max_version);
  SSL_CTX_set_security_level(context, 0);  // let this client offer the old versions at all
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    SSL* ssl = SSL_new(context);
    SSL_set_fd(ssl, fd);
    ok = SSL_connect(ssl) == 1;
    SSL_free(ssl);
  }
  close(fd);
  SSL_CTX_free(context);
  ERR_clear_error();
  return ok;
}

TEST(aksk_tls_e2e_test, only_tls_1_2_and_later_are_spoken) {
  TempDir dir;
  make_certificate(dir.path);
  testing::ServerProcess server({"--tls-cert", (dir.path / "cert.pem").string(), "--tls-key",
                                 (dir.path / "key.pem").string()});
  EXPECT_TRUE(tls_handshake_succeeds(server.port(), TLS1_3_VERSION));
  EXPECT_TRUE(tls_handshake_succeeds(server.port(), TLS1_2_VERSION));
  EXPECT_FALSE(tls_handshake_succeeds(server.port(), TLS1_1_VERSION));
  EXPECT_FALSE(tls_handshake_succeeds(server.port(), TLS1_VERSION));
}

TEST(aksk_tls_e2e_test, bad_tls_files_stop_the_start_naming_the_file) {
  TempDir dir;
  make_certificate(dir.path);
  const auto cert = (dir.path / "cert.pem").string();
  const auto key = (dir.path / "key.pem").string();
  auto [status, text] = testing::ServerProcess::run_to_exit({"--tls-cert", cert});
  EXPECT_EQ(status, 2);
  EXPECT_NE(text.find("--tls-cert and --tls-key go together"), std::string::npos) << text;
  std::tie(status, text) =
      testing::ServerProcess::run_to_exit({"--tls-cert", cert + ".missing", "--tls-key", key});
  EXPECT_EQ(status, 2);
  EXPECT_NE(text.find(cert + ".missing"), std::string::npos) << text;
  // A key that is not the certificate's.
  fs::create_directory(dir.path / "other");
  make_certificate(dir.path / "other");
  std::tie(status, text) = testing::ServerProcess::run_to_exit(
      {"--tls-cert", cert, "--tls-key", (dir.path / "other" / "key.pem").string()});
  EXPECT_EQ(status, 2);
  EXPECT_NE(text.find("--tls-key"), std::string::npos) << text;
}

std::string auth_file_text(const char* ak, const char* sk) {
  return std::string(R"({"tokens":[{"token":"file-token","project_id":"project-a"}],)") +
         R"("credentials":[{"ak":")" + ak + R"(","sk":")" + sk + R"(","project_id":"project-a"}]})";
}

TEST(aksk_auth_file_e2e_test, the_auth_file_is_read_at_start_and_again_on_sighup) {
  TempDir dir;
  const auto file = dir.path / "auth.json";
  write_file(file, auth_file_text("FILEAK1", "file-sk-1"),
             fs::perms::owner_read | fs::perms::owner_write);
  testing::ServerProcess server({"--auth-file", file.string()});
  EXPECT_EQ(server.stderr_text().find("warning"), std::string::npos) << "a 0600 file is fine";
  const auto status_with = [&](const char* ak, const char* sk) {
    http::ClientOptions options;
    options.access_key = ak;
    options.secret_key = sk;
    http::Client signer(http::parse_endpoint(server.url()).value(), options);
    return signer.request("GET", "/v1/project-a/csms/events")->status;
  };
  http::Client plain(http::parse_endpoint(server.url()).value());
  EXPECT_EQ(
      plain.request("GET", "/v1/project-a/csms/events", {{"X-Auth-Token", "file-token"}})->status,
      200);
  EXPECT_EQ(status_with("FILEAK1", "file-sk-1"), 200);
  EXPECT_EQ(status_with("FILEAK2", "file-sk-2"), 401);

  // The key is rotated in the file; SIGHUP makes the server take the new one.
  write_file(file, auth_file_text("FILEAK2", "file-sk-2"),
             fs::perms::owner_read | fs::perms::owner_write);
  server.signal(SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (status_with("FILEAK2", "file-sk-2") != 200 &&
         std::chrono::steady_clock::now() < deadline) {
  }
  EXPECT_EQ(status_with("FILEAK2", "file-sk-2"), 200);
  EXPECT_EQ(status_with("FILEAK1", "file-sk-1"), 401) << "the old key is gone";

  // A broken file on SIGHUP: a line says so, and the credentials in force stay.
  write_file(file, R"({"credentials":[{"ak":"X"}]})",
             fs::perms::owner_read | fs::perms::owner_write);
  server.signal(SIGHUP);
  while (server.stderr_text().find("credentials in force stay") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    (void)status_with("FILEAK2", "file-sk-2");  // paces the loop with real work
  }
  const auto log = server.stderr_text();
  EXPECT_NE(log.find("credentials in force stay"), std::string::npos) << log;
  EXPECT_NE(log.find("is required"), std::string::npos) << log;
  EXPECT_EQ(status_with("FILEAK2", "file-sk-2"), 200);
  EXPECT_EQ(log.find("file-sk-"), std::string::npos) << "a secret key in the log";
  EXPECT_EQ(server.stop(), 0);
}

TEST(aksk_auth_file_e2e_test,
     a_file_others_can_read_draws_a_warning_and_a_bad_one_stops_the_start) {
  TempDir dir;
  const auto file = dir.path / "auth.json";
  write_file(file, auth_file_text("FILEAK1", "file-sk-1"),
             fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                 fs::perms::others_read);
  {
    testing::ServerProcess server({"--auth-file", file.string()});
    const auto log = server.stderr_text();
    EXPECT_NE(log.find("warning: " + file.string() + " is readable by other users"),
              std::string::npos)
        << log;
  }
  write_file(file, R"({"credentials":[{"ak":"A","sk":"s","project_id":"bad/project"}]})",
             fs::perms::owner_read | fs::perms::owner_write);
  auto [status, text] = testing::ServerProcess::run_to_exit({"--auth-file", file.string()});
  EXPECT_EQ(status, 2);
  EXPECT_NE(text.find(file.string()), std::string::npos) << text;
  EXPECT_NE(text.find("project_id"), std::string::npos) << text;
  std::tie(status, text) =
      testing::ServerProcess::run_to_exit({"--auth-file", (dir.path / "missing.json").string()});
  EXPECT_EQ(status, 2);
  EXPECT_NE(text.find("cannot read"), std::string::npos) << text;
  std::tie(status, text) = testing::ServerProcess::run_to_exit({"--credential", "no-colon"});
  EXPECT_EQ(status, 2);
  EXPECT_NE(text.find("AK:SK=PROJECT_ID"), std::string::npos) << text;
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

// The official Node.js SDK core itself (npm @huaweicloud/huaweicloud-sdk-core 3.1.211, with the
// uuid it needs but does not list: spec/sdk-signing.md §9), installed on first use; skipped only
// when npm or its registry cannot be reached.
std::optional<std::string> sdk_modules() {
  const std::string dir = HERALD_SDK_DIR;
  if (std::filesystem::exists(dir + "/node_modules/@huaweicloud/huaweicloud-sdk-core")) {
    return dir + "/node_modules";
  }
  if (testing::run_command("command -v npm").first != 0) return std::nullopt;
  std::filesystem::create_directories(dir);
  const auto [status, output] = testing::run_command(
      "npm install --prefix '" + dir +
      "' --no-audit --no-fund --silent @huaweicloud/huaweicloud-sdk-core@3.1.211 uuid@9.0.0");
  if (status != 0) {
    if (output.find("ENOTFOUND") != std::string::npos ||
        output.find("EAI_AGAIN") != std::string::npos ||
        output.find("ECONNREFUSED") != std::string::npos ||
        output.find("ETIMEDOUT") != std::string::npos) {
      return std::nullopt;
    }
    ADD_FAILURE() << "npm install failed: " << output;
    return std::nullopt;
  }
  return dir + "/node_modules";
}

// One JSON object per call the script made, by call name.
std::map<std::string, json::object> sdk_calls(const std::string& modules, const std::string& env,
                                              const std::string& url, const char* sk) {
  const auto [status, output] = testing::run_command(
      env + " NODE_PATH='" + modules + "' node '" + HERALD_SOURCE_DIR +
      "/tests/sdk/csms_calls.js' " + url + " " + k_ak + " '" + sk + "' project-a");
  EXPECT_EQ(status, 0) << output;
  std::map<std::string, json::object> calls;
  std::size_t start = 0;
  while (start < output.size()) {
    const auto end = output.find('\n', start);
    const std::string line = output.substr(start, end - start);
    if (line.starts_with(R"({"call")")) {
      auto object = json::parse(line).as_object();
      calls[std::string(object.at("call").as_string())] = std::move(object);
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return calls;
}

TEST(aksk_sdk_e2e_test,
     the_official_sdk_core_signs_calls_and_reads_the_answers_over_http_and_https) {
  const auto modules = sdk_modules();
  if (!modules) GTEST_SKIP() << "npm or the npm registry cannot be reached: the SDK is not here";
  TempDir dir;
  make_certificate(dir.path);
  for (const bool tls : {false, true}) {
    SCOPED_TRACE(tls ? "https" : "http");
    auto args = credential_args();
    std::string env;
    if (tls) {
      args.insert(args.end(), {"--tls-cert", (dir.path / "cert.pem").string(), "--tls-key",
                               (dir.path / "key.pem").string()});
      // Node verifies certificates (the SDK leaves it on): trust the test's own.
      env = "NODE_EXTRA_CA_CERTS='" + (dir.path / "cert.pem").string() + "'";
    }
    testing::ServerProcess server(args);
    auto calls = sdk_calls(*modules, env, server.url(), k_sk);
    ASSERT_EQ(calls.size(), 8U);
    EXPECT_EQ(calls["CreateSecretEvent"].at("status"), 200);
    EXPECT_EQ(calls["CreateSecretEvent"].at("result").at("event").at("name"), "sdk-event");
    // The SDK reads herald's errors: code, message and request id.
    EXPECT_EQ(calls["CreateSecretEvent again"].at("status"), 400);
    EXPECT_EQ(calls["CreateSecretEvent again"].at("errorCode"), "HERALD.1001");
    EXPECT_EQ(calls["ShowSecretEvent"].at("result").at("event").at("state"), "ENABLED");
    EXPECT_EQ(calls["ListSecretEvents"].at("result").at("events").as_array().size(), 1U);
    EXPECT_EQ(calls["UpdateSecretEvent"].at("result").at("event").at("state"), "DISABLED");
    EXPECT_EQ(calls["ShowSecretEvent missing"].at("status"), 404);
    EXPECT_EQ(calls["ShowSecretEvent missing"].at("errorCode"), "CSMS.0005");
    EXPECT_EQ(calls["ShowSecretEvent missing"].at("errorMsg"),
              "event no-such-event does not exist");
    EXPECT_EQ(calls["ShowSecretEvent missing"].at("requestId").as_string().size(), 36U);
    EXPECT_EQ(calls["ListNotificationRecords"].at("status"), 200);
    EXPECT_EQ(calls["DeleteSecretEvent"].at("status"), 204);
    // With a wrong SK every call is refused, and the SDK says why.
    auto refused = sdk_calls(*modules, env, server.url(), "not-the-secret-key");
    EXPECT_EQ(refused["CreateSecretEvent"].at("status"), 401);
    EXPECT_EQ(refused["CreateSecretEvent"].at("errorCode"), "HERALD.0401");
  }
}

}  // namespace
}  // namespace herald
