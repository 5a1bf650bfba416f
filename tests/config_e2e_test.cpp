// herald-server --config FILE (contract §7): every flag as a TOML key, the command line wins,
// and every bad value names itself and exits 2.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "http_client.hpp"
#include "server_process.hpp"
#include "test_files.hpp"

namespace herald {
namespace {

namespace json = boost::json;
using testing::ServerProcess;
using testing::TempDir;
using testing::write_file;

TEST(config_e2e_test, every_key_is_taken) {
  TempDir dir;
  testing::make_certificate(dir.path);
  write_file(dir.path / "auth.json",
             R"({"tokens":[{"token":"file-token","project_id":"project-b"}]})");
  const auto path = [&](const char* name) { return (dir.path / name).string(); };
  // Every key of --help (but config, help, version), each with a value that shows.
  write_file(dir.path / "herald.toml", R"(listen = "127.0.0.1:0"
token = ["token-of-project-a=project-a"]
credential = ["CFGAK:cfg-secret=project-a"]
auth-file = ")" + path("auth.json") + R"("
tls-cert = ")" + path("cert.pem") + R"("
tls-key = ")" + path("key.pem") + R"("
region = "cfg-region"
header-timeout-ms = 5000
idle-timeout-ms = 5000
threads = 2
store = ")" + path("herald.db") + R"("
public-url = "https://herald.example"
smn-auto-confirm = true
allow-private-endpoints = true
smn-signing-key = ")" + path("key.pem") + R"("
push-retries = 1
push-backoff-ms = 10
push-backoff-max-ms = 20
push-timeout-ms = 1000
store-lease-ms = 5000
nats = "nats://127.0.0.1:1"
log-format = "json"
log-level = "info"
)");
  ServerProcess server({"--config", path("herald.toml")});
  EXPECT_EQ(server.url().substr(0, 8), "https://") << "tls-cert and tls-key";
  http::ClientOptions options;
  options.ca_file = path("cert.pem");
  http::Client client(http::parse_endpoint(server.url()).value(), options);
  const auto topic = client.request("POST", "/v2/project-a/notifications/topics",
                                    {{"X-Auth-Token", "token-of-project-a"}}, R"({"name":"t"})");
  ASSERT_TRUE(topic.ok()) << topic.error().message();
  ASSERT_EQ(topic->status, 201) << topic->body;
  EXPECT_EQ(json::parse(topic->body).at("topic_urn"), "urn:smn:cfg-region:project-a:t") << "region";
  EXPECT_EQ(
      client.request("GET", "/v1/project-b/csms/events", {{"X-Auth-Token", "file-token"}})->status,
      200)
      << "auth-file";
  // An HTTP subscription on loopback is allowed and confirmed at once, with the public URL.
  const auto added = client.request(
      "POST", "/v2/project-a/notifications/topics/urn:smn:cfg-region:project-a:t/subscriptions",
      {{"X-Auth-Token", "token-of-project-a"}},
      R"({"protocol":"http","endpoint":"http://127.0.0.1:9/hook"})");
  ASSERT_EQ(added->status, 200) << added->body;
  const auto listed = client.request(
      "GET", "/v2/project-a/notifications/topics/urn:smn:cfg-region:project-a:t/subscriptions",
      {{"X-Auth-Token", "token-of-project-a"}});
  EXPECT_NE(listed->body.find("\"status\":1"), std::string::npos)
      << "smn-auto-confirm: " << listed->body;
  http::ClientOptions signing = options;
  signing.access_key = "CFGAK";
  signing.secret_key = "cfg-secret";
  http::Client signer(http::parse_endpoint(server.url()).value(), signing);
  EXPECT_EQ(signer.request("GET", "/v1/project-a/csms/events")->status, 200) << "credential";
  const auto log = server.stderr_text();
  EXPECT_NE(log.find(R"({"time":")"), std::string::npos) << "log-format json: " << log;
  EXPECT_EQ(server.stop(), 0);
  EXPECT_TRUE(std::filesystem::exists(dir.path / "herald.db")) << "store";
}

TEST(config_e2e_test, the_command_line_wins) {
  TempDir dir;
  write_file(dir.path / "herald.toml",
             "token = [\"token-of-project-a=project-a\"]\nlog-level = \"off\"\n");
  ServerProcess server({"--config", (dir.path / "herald.toml").string(), "--token",
                        "token-of-project-b=project-a", "--log-level", "info"});
  http::Client client(http::parse_endpoint(server.url()).value());
  EXPECT_EQ(
      client.request("GET", "/v1/project-a/csms/events", {{"X-Auth-Token", "token-of-project-a"}})
          ->status,
      401)
      << "the command line's --token replaces the file's list";
  EXPECT_EQ(
      client.request("GET", "/v1/project-a/csms/events", {{"X-Auth-Token", "token-of-project-b"}})
          ->status,
      200);
  EXPECT_NE(server.stderr_text().find("\"request\""), std::string::npos)
      << "--log-level info beats the file's off";
}

TEST(config_e2e_test, each_bad_value_names_itself_and_exits_2) {
  TempDir dir;
  const auto file = (dir.path / "herald.toml").string();
  const std::vector<std::pair<std::string, std::string>> table = {
      {"bogus = 1\n", "unknown key \"bogus\""},
      {"header-timeout-ms = -5\n",
       "key header-timeout-ms: --header-timeout-ms: must be a whole number"},
      {"idle-timeout-ms = \"soon\"\n", "key idle-timeout-ms: --idle-timeout-ms: not a number"},
      {"push-timeout-ms = 0\n", "key push-timeout-ms"},
      {"store-lease-ms = 50\n", "key store-lease-ms: --store-lease-ms: must be at least 100 ms"},
      {"listen = \"nohost:8080\"\n", "key listen: --listen: not an IP address: nohost"},
      {"listen = \"127.0.0.1\"\n", "key listen: --listen takes HOST:PORT"},
      {"threads = 0\n", "key threads: --threads"},
      {"push-retries = -1\n", "key push-retries"},
      {"token = [5]\n", "key token: --token takes TOKEN=PROJECT_ID"},
      {"token = [{a = 1}]\n", "token[0]: must be a string"},
      {"log-format = \"xml\"\n", "key log-format: --log-format takes text or json"},
      {"log-level = \"loud\"\n", "key log-level: --log-level"},
      {"smn-auto-confirm = \"yes\"\n", "smn-auto-confirm: must be true or false"},
      {"region = 1.5\n", "region: must be a string or a whole number"},
      {"listen = \"127.0.0.1:0\n", "line 1"},
  };
  for (const auto& [text, says] : table) {
    SCOPED_TRACE(text);
    write_file(file, text);
    const auto [status, output] = ServerProcess::run_to_exit({"--config", file});
    EXPECT_EQ(status, 2) << output;
    EXPECT_NE(output.find(file), std::string::npos) << "names the file: " << output;
    EXPECT_NE(output.find(says), std::string::npos) << output;
  }
  auto [status, output] = ServerProcess::run_to_exit({"--config", file + ".missing"});
  EXPECT_EQ(status, 2);
  EXPECT_NE(output.find("cannot read"), std::string::npos) << output;
  // The same checks on the command line, named without a file.
  std::tie(status, output) = ServerProcess::run_to_exit({"--header-timeout-ms", "-5"});
  EXPECT_EQ(status, 2);
  EXPECT_NE(output.find("herald-server: --header-timeout-ms: must be a whole number"),
            std::string::npos)
      << output;
}

TEST(config_e2e_test, a_config_holding_secrets_should_be_the_owners_alone) {
  TempDir dir;
  const auto file = dir.path / "herald.toml";
  write_file(file, "token = [\"token-of-project-a=project-a\"]\n",
             std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                 std::filesystem::perms::others_read);
  ServerProcess server({"--config", file.string()});
  EXPECT_NE(server.stderr_text().find("readable by other users"), std::string::npos)
      << server.stderr_text();
}

}  // namespace
}  // namespace herald
