// herald-server pushes to a real receiver on loopback (contract §5): subscribe over REST, the
// confirmation arrives and is confirmed through subscribe_url, a trigger arrives signed both
// ways, the certificate comes from signing_cert_url, the delivery log says DELIVERED.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <thread>

#include "http_client.hpp"
#include "receiver.hpp"
#include "rest_support.hpp"
#include "server_process.hpp"
#include "smn_verify.hpp"

namespace herald {
namespace {

namespace json = boost::json;
using testing::k_token_a;
using Headers = std::vector<std::pair<std::string, std::string>>;

std::vector<testing::ReceivedRequest> wait_for(const testing::Receiver& receiver, std::size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (receiver.requests().size() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return receiver.requests();
}

class smn_push_e2e_test : public ::testing::Test {
 protected:
  smn_push_e2e_test()
      : server_({"--token", std::string(k_token_a) + "=project-a", "--allow-private-endpoints"}),
        client_(http::parse_endpoint(server_.url()).value()) {}

  http::Response call(const std::string& method, const std::string& target,
                      const std::string& body = {}, bool authenticated = true) {
    Headers headers;
    if (authenticated) headers.emplace_back("X-Auth-Token", k_token_a);
    auto response = client_.request(method, target, headers, body);
    EXPECT_TRUE(response.ok()) << response.error().message();
    return response.ok() ? std::move(response).value() : http::Response{};
  }
  // The path and query of one of the URLs herald handed out, checked to be on this server.
  std::string local_target(const std::string& url) {
    EXPECT_TRUE(url.starts_with(server_.url())) << url << " is not on " << server_.url();
    return url.substr(server_.url().size());
  }

  testing::ServerProcess server_;
  http::Client client_;
};

TEST_F(smn_push_e2e_test, a_subscribed_receiver_confirms_and_gets_the_notification_signed) {
  testing::Receiver receiver;
  const std::string urn = "urn:smn:region-1:project-a:rotations";
  ASSERT_EQ(call("POST", "/v2/project-a/notifications/topics", R"({"name":"rotations"})").status,
            201);
  const auto added = call("POST", "/v2/project-a/notifications/topics/" + urn + "/subscriptions",
                          R"({"protocol":"http","endpoint":")" + receiver.url() + R"("})");
  ASSERT_EQ(added.status, 200) << added.body;
  const std::string secret(json::parse(added.body).at("signing_secret").as_string());

  // The confirmation, and its subscribe_url fetched without a token.
  const auto confirmation = wait_for(receiver, 1).at(0);
  EXPECT_EQ(confirmation.header("x-smn-message-type"), "SubscriptionConfirmation");
  const auto invitation = json::parse(confirmation.body).as_object();
  const std::string subscribe_url(invitation.at("subscribe_url").as_string());
  EXPECT_EQ(call("GET", local_target(subscribe_url), {}, false).status, 200);
  const auto listed =
      json::parse(call("GET", "/v2/project-a/notifications/topics/" + urn + "/subscriptions").body);
  EXPECT_EQ(listed.at("subscriptions").at(0).at("status").as_int64(), 1) << "confirmed";

  // A trigger of an event targeting the topic.
  ASSERT_EQ(call("POST", "/v1/project-a/csms/events",
                 R"({"name":"rotated","event_types":["SECRET_ROTATED"],"state":"ENABLED",
                     "notification":{"target_type":"SMN","target_id":")" +
                     urn + R"(","target_name":"rotations"}})")
                .status,
            200);
  ASSERT_EQ(
      call("PUT", "/v1/project-a/secrets/db", R"({"event_subscriptions":["rotated"]})").status,
      200);
  const auto fired = call("POST", "/v1/project-a/csms/lifecycle-events",
                          R"({"secret_name":"db","event_type":"SECRET_ROTATED"})");
  ASSERT_EQ(fired.status, 200) << fired.body;
  const std::string id(
      json::parse(fired.body).at("notifications").at(0).at("notification_id").as_string());

  const auto push = wait_for(receiver, 2).at(1);
  EXPECT_EQ(push.header("x-smn-message-type"), "Notification");
  EXPECT_EQ(push.header("x-smn-message-id"), id);
  const auto body = json::parse(push.body).as_object();
  EXPECT_EQ(body.at("message_id").as_string(), id);
  // The SMN signature, with the certificate fetched from signing_cert_url (no token).
  const std::string cert_url(body.at("signing_cert_url").as_string());
  const auto cert = call("GET", local_target(cert_url), {}, false);
  ASSERT_EQ(cert.status, 200);
  const std::string to_sign = "message\n" + std::string(body.at("message").as_string()) +
                              "\nmessage_id\n" + id + "\nsubject\nrotated\ntimestamp\n" +
                              std::string(body.at("timestamp").as_string()) + "\ntopic_urn\n" +
                              urn + "\ntype\nNotification\n";
  EXPECT_TRUE(testing::smn_signature_verifies(cert.body, to_sign,
                                              std::string(body.at("signature").as_string())));
  // The Standard Webhooks signature, with the secret AddSubscription answered.
  EXPECT_EQ(
      push.header("webhook-signature"),
      testing::expected_webhook_signature(secret, id, push.header("webhook-timestamp"), push.body));
  // The delivery log.
  json::value log;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    log =
        json::parse(call("GET", "/v2/project-a/notifications/topics/" + urn + "/deliveries").body);
  } while (log.at("deliveries").as_array().empty() ||
           (log.at("deliveries").at(0).at("status") != "DELIVERED" &&
            std::chrono::steady_clock::now() < deadline));
  EXPECT_EQ(log.at("deliveries").at(0).at("message_id").as_string(), id);
  EXPECT_EQ(log.at("deliveries").at(0).at("status").as_string(), "DELIVERED");
  EXPECT_EQ(log.at("deliveries").at(0).at("attempts").as_int64(), 1);
}

TEST(smn_push_retry_e2e_test, retries_final_answers_and_410_through_herald_server) {
  testing::ServerProcess server({"--token", std::string(k_token_a) + "=project-a",
                                 "--allow-private-endpoints", "--smn-auto-confirm",
                                 "--push-backoff-ms", "20", "--push-backoff-max-ms", "50"});
  http::Client client(http::parse_endpoint(server.url()).value());
  const auto call = [&](const std::string& method, const std::string& target,
                        const std::string& body = {}) {
    auto r = client.request(method, target, {{"X-Auth-Token", std::string(k_token_a)}}, body);
    EXPECT_TRUE(r.ok());
    return r.ok() ? std::move(r).value() : http::Response{};
  };
  const std::string urn = "urn:smn:region-1:project-a:rotations";
  ASSERT_EQ(call("POST", "/v2/project-a/notifications/topics", R"({"name":"rotations"})").status,
            201);
  testing::Receiver flaky, missing, gone;
  std::map<std::string, std::string> subscription_of;  // receiver url -> subscription urn
  for (auto* r : {&flaky, &missing, &gone}) {
    const auto added = call("POST", "/v2/project-a/notifications/topics/" + urn + "/subscriptions",
                            R"({"protocol":"http","endpoint":")" + r->url() + R"("})");
    ASSERT_EQ(added.status, 200) << added.body;
    subscription_of[r->url()] =
        std::string(json::parse(added.body).at("subscription_urn").as_string());
  }
  flaky.script({{.status = 500}, {.status = 500}, {.status = 200}});
  missing.script({{.status = 404}});
  gone.script({{.status = 410}});
  ASSERT_EQ(call("POST", "/v1/project-a/csms/events",
                 R"({"name":"rotated","event_types":["SECRET_ROTATED"],"state":"ENABLED",
                     "notification":{"target_type":"SMN","target_id":")" +
                     urn + R"(","target_name":"rotations"}})")
                .status,
            200);
  ASSERT_EQ(
      call("PUT", "/v1/project-a/secrets/db", R"({"event_subscriptions":["rotated"]})").status,
      200);
  const auto fired = call("POST", "/v1/project-a/csms/lifecycle-events",
                          R"({"secret_name":"db","event_type":"SECRET_ROTATED"})");
  const std::string id(
      json::parse(fired.body).at("notifications").at(0).at("notification_id").as_string());
  const auto flaky_requests = wait_for(flaky, 3);
  ASSERT_EQ(flaky_requests.size(), 3U);
  for (const auto& r : flaky_requests)
    EXPECT_EQ(r.header("x-smn-message-id"), id) << "the same message_id";
  // The delivery log, once all three are final.
  json::array lines;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    lines =
        json::parse(call("GET", "/v2/project-a/notifications/topics/" + urn + "/deliveries").body)
            .at("deliveries")
            .as_array();
    if (lines.size() == 3 && std::all_of(lines.begin(), lines.end(), [](const json::value& l) {
          return l.at("status") != "PENDING";
        })) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(lines.size(), 3U);
  for (const auto& line : lines) {
    const std::string subscription(line.at("subscription_urn").as_string());
    if (subscription == subscription_of[flaky.url()]) {
      EXPECT_EQ(line.at("status"), "DELIVERED");
      EXPECT_EQ(line.at("attempts").as_int64(), 3);
    } else if (subscription == subscription_of[missing.url()]) {
      EXPECT_EQ(line.at("status"), "FAILED");
      EXPECT_EQ(line.at("attempts").as_int64(), 1);
      EXPECT_EQ(line.at("last_http_status").as_int64(), 404);
    } else {
      EXPECT_EQ(line.at("status"), "FAILED");
      EXPECT_EQ(line.at("last_http_status").as_int64(), 410);
    }
  }
  // 410 removed its subscription.
  const auto listed =
      json::parse(call("GET", "/v2/project-a/notifications/topics/" + urn + "/subscriptions").body);
  EXPECT_EQ(listed.at("subscription_count").as_int64(), 2);
  for (const auto& s : listed.at("subscriptions").as_array()) {
    EXPECT_NE(s.at("subscription_urn").as_string(), subscription_of[gone.url()]);
  }
}

TEST(smn_push_crash_test, pushes_pending_at_a_sigkill_are_delivered_after_the_restart) {
  namespace fs = std::filesystem;
  const fs::path store =
      fs::temp_directory_path() / ("herald-push-crash-" + std::to_string(::getpid()) + ".db");
  for (const auto* suffix : {"", "-wal", "-shm", ".lock"}) fs::remove(store.string() + suffix);
  const std::vector<std::string> args = {"--token",
                                         std::string(k_token_a) + "=project-a",
                                         "--allow-private-endpoints",
                                         "--smn-auto-confirm",
                                         "--store",
                                         store.string()};
  testing::Receiver receiver;
  const std::string urn = "urn:smn:region-1:project-a:rotations";
  std::string id;
  {
    testing::ServerProcess server(args);
    http::Client client(http::parse_endpoint(server.url()).value());
    const auto call = [&](const std::string& method, const std::string& target,
                          const std::string& body) {
      auto r = client.request(method, target, {{"X-Auth-Token", std::string(k_token_a)}}, body);
      EXPECT_TRUE(r.ok());
      return r.ok() ? std::move(r).value() : http::Response{};
    };
    ASSERT_EQ(call("POST", "/v2/project-a/notifications/topics", R"({"name":"rotations"})").status,
              201);
    ASSERT_EQ(call("POST", "/v2/project-a/notifications/topics/" + urn + "/subscriptions",
                   R"({"protocol":"http","endpoint":")" + receiver.url() + R"("})")
                  .status,
              200);
    ASSERT_EQ(call("POST", "/v1/project-a/csms/events",
                   R"({"name":"rotated","event_types":["SECRET_ROTATED"],"state":"ENABLED",
                       "notification":{"target_type":"SMN","target_id":")" +
                       urn + R"(","target_name":"rotations"}})")
                  .status,
              200);
    ASSERT_EQ(
        call("PUT", "/v1/project-a/secrets/db", R"({"event_subscriptions":["rotated"]})").status,
        200);
    // The receiver fails the first attempts: the push is pending (retried) when the server dies.
    receiver.script({{.status = 503}, {.status = 503}, {.status = 503}, {.status = 503}});
    const auto fired = call("POST", "/v1/project-a/csms/lifecycle-events",
                            R"({"secret_name":"db","event_type":"SECRET_ROTATED"})");
    ASSERT_EQ(fired.status, 200) << fired.body;
    id = std::string(
        json::parse(fired.body).at("notifications").at(0).at("notification_id").as_string());
    ASSERT_GE(wait_for(receiver, 1).size(), 1U);
    // The notification itself is final (SUCCESS: published to the topic) and on disk (listing
    // writes waiting statuses first): after the restart only the stored push can bring it.
    json::value records;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    do {
      records = json::parse(call("GET", "/v1/project-a/csms/notification-records", {}).body);
    } while (records.at("records").as_array().empty() &&
             std::chrono::steady_clock::now() < deadline);
    ASSERT_FALSE(records.at("records").as_array().empty());
    ASSERT_EQ(records.at("records").at(0).at("notification_status").as_string(), "SUCCESS");
    server.signal(SIGKILL);
    (void)server.wait();
  }
  const auto before = receiver.requests().size();
  receiver.script({});  // from now on 200
  testing::ServerProcess restarted(args);
  const auto got = wait_for(receiver, before + 1);
  ASSERT_GT(got.size(), before) << "the pending push went out after the restart";
  EXPECT_EQ(got.back().header("x-smn-message-id"), id) << "the same message_id";
  for (const auto* suffix : {"", "-wal", "-shm", ".lock"}) fs::remove(store.string() + suffix);
}

}  // namespace
}  // namespace herald
