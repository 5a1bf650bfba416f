// herald-server pushes to a real receiver on loopback (contract §5): subscribe over REST, the
// confirmation arrives and is confirmed through subscribe_url, a trigger arrives signed both
// ways, the certificate comes from signing_cert_url, the delivery log says DELIVERED.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
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
  ASSERT_EQ(call("POST", "/v2/project-a/notifications/topics", R"({"name":"rotations"})").status, 201);
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
  const auto listed = json::parse(
      call("GET", "/v2/project-a/notifications/topics/" + urn + "/subscriptions").body);
  EXPECT_EQ(listed.at("subscriptions").at(0).at("status").as_int64(), 1) << "confirmed";

  // A trigger of an event targeting the topic.
  ASSERT_EQ(call("POST", "/v1/project-a/csms/events",
                 R"({"name":"rotated","event_types":["SECRET_ROTATED"],"state":"ENABLED",
                     "notification":{"target_type":"SMN","target_id":")" + urn +
                     R"(","target_name":"rotations"}})")
                .status,
            200);
  ASSERT_EQ(call("PUT", "/v1/project-a/secrets/db", R"({"event_subscriptions":["rotated"]})").status,
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
  const std::string to_sign =
      "message\n" + std::string(body.at("message").as_string()) + "\nmessage_id\n" + id +
      "\nsubject\nrotated\ntimestamp\n" + std::string(body.at("timestamp").as_string()) +
      "\ntopic_urn\n" + urn + "\ntype\nNotification\n";
  EXPECT_TRUE(testing::smn_signature_verifies(cert.body, to_sign,
                                              std::string(body.at("signature").as_string())));
  // The Standard Webhooks signature, with the secret AddSubscription answered.
  EXPECT_EQ(push.header("webhook-signature"),
            testing::expected_webhook_signature(secret, id, push.header("webhook-timestamp"),
                                                push.body));
  // The delivery log.
  json::value log;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    log = json::parse(call("GET", "/v2/project-a/notifications/topics/" + urn + "/deliveries").body);
  } while (log.at("deliveries").as_array().empty() ||
           (log.at("deliveries").at(0).at("status") != "DELIVERED" &&
            std::chrono::steady_clock::now() < deadline));
  EXPECT_EQ(log.at("deliveries").at(0).at("message_id").as_string(), id);
  EXPECT_EQ(log.at("deliveries").at(0).at("status").as_string(), "DELIVERED");
  EXPECT_EQ(log.at("deliveries").at(0).at("attempts").as_int64(), 1);
}

}  // namespace
}  // namespace herald
