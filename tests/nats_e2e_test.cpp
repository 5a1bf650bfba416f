// herald-server --nats: a NATS event's notification lands in a real nats-server's stream.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "http_client.hpp"
#include "nats_server.hpp"
#include "rest_support.hpp"
#include "server_process.hpp"

namespace herald {
namespace {

TEST(nats_e2e_test, herald_server_publishes_a_nats_event_to_jetstream) {
  testing::NatsServer broker;
  ASSERT_TRUE(broker.running());
  testing::HeraldStream stream(broker.url());
  ASSERT_TRUE(stream.ready());

  testing::ServerProcess server(
      {"--token", std::string(testing::k_token_a) + "=project-a", "--nats", broker.url()});
  http::Client client(http::parse_endpoint(server.url()).value());
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"X-Auth-Token", std::string(testing::k_token_a)}};
  ASSERT_EQ(client
                .request("POST", "/v1/project-a/csms/events", auth,
                         R"({"name":"to-nats","event_types":["SECRET_ROTATED"],"state":"ENABLED",
                             "notification":{"target_type":"NATS","target_id":"herald.rotations",
                                             "target_name":"rotations"}})")
                ->status,
            200);
  ASSERT_EQ(client
                .request("PUT", "/v1/project-a/secrets/db", auth,
                         R"({"event_subscriptions":["to-nats"]})")
                ->status,
            200);
  const auto fired = client.request("POST", "/v1/project-a/csms/lifecycle-events", auth,
                                    R"({"secret_name":"db","event_type":"SECRET_ROTATED"})");
  ASSERT_EQ(fired->status, 200) << fired->body;
  EXPECT_EQ(boost::json::parse(fired->body).at("notifications").at(0).at("notification_status"),
            "SUCCESS");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (stream.messages() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(stream.messages(), 1U);
}

TEST(nats_e2e_test, not_ready_while_the_broker_is_away_and_ready_once_it_is_back) {
  testing::NatsServer broker;
  ASSERT_TRUE(broker.running());
  broker.stop();
  testing::ServerProcess server({"--nats", broker.url()});
  http::Client client(http::parse_endpoint(server.url()).value());
  const auto away = client.request("GET", "/readyz");
  ASSERT_TRUE(away.ok());
  EXPECT_EQ(away->status, 503) << away->body;
  EXPECT_NE(away->body.find("NATS broker is not connected"), std::string::npos) << away->body;
  EXPECT_EQ(client.request("GET", "/healthz")->status, 200);
  broker.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  int status = 0;
  while ((status = client.request("GET", "/readyz")->status) != 200 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status, 200) << "ready again once the broker is back";
}

}  // namespace
}  // namespace herald
