// Three herald-server processes on one PostgreSQL database (contract §8): what one is told the
// others serve, racing processes cannot break a rule, and triggers sent round-robin while
// processes are killed with SIGKILL and restarted are all delivered and finalised once.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <barrier>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "http_client.hpp"
#include "postgres_support.hpp"
#include "receiver.hpp"
#include "rest_support.hpp"
#include "server_process.hpp"

namespace herald {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::k_token_a;

// Polls `done` until it holds or `limit` passes: other processes act on their own time.
template <typename Done>
bool within(std::chrono::milliseconds limit, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

class scaling_e2e_test : public ::testing::Test {
 protected:
  scaling_e2e_test() {
    for (int i = 0; i < 3; ++i) servers_.push_back(start());
  }

  std::unique_ptr<testing::ServerProcess> start() {
    return std::make_unique<testing::ServerProcess>(std::vector<std::string>{
        "--token", std::string(k_token_a) + "=project-a", "--allow-private-endpoints",
        "--smn-auto-confirm", "--store-lease-ms", "1500", "--push-backoff-ms", "50", "--store",
        database_.uri()});
  }

  // One request to the server at `url`; status 0 when it could not be reached.
  static http::Response call_at(const std::string& url, const std::string& method,
                                const std::string& target, const std::string& body = {}) {
    http::Client client(http::parse_endpoint(url).value());
    auto response = client.request(method, target, {{"X-Auth-Token", k_token_a}}, body);
    return response ? std::move(response).value() : http::Response{};
  }
  http::Response call(std::size_t server, const std::string& method, const std::string& target,
                      const std::string& body = {}) {
    return call_at(servers_.at(server)->url(), method, target, body);
  }

  // The topic "rotations", through the first process, with `receiver` subscribed (confirmed at
  // once: --smn-auto-confirm).
  void subscribe(const testing::Receiver& receiver) {
    ASSERT_EQ(
        call(0, "POST", "/v2/project-a/notifications/topics", R"({"name":"rotations"})").status,
        201);
    ASSERT_EQ(call(0, "POST",
                   "/v2/project-a/notifications/topics/urn:smn:region-1:project-a:rotations"
                   "/subscriptions",
                   R"({"protocol":"http","endpoint":")" + receiver.url() + R"("})")
                  .status,
              200);
  }

  // An event named `name` for SECRET_ROTATED, to the topic `urn`.
  static std::string event_body(const std::string& name, const std::string& urn) {
    return R"({"name":")" + name +
           R"(","event_types":["SECRET_ROTATED"],"state":"ENABLED","notification":{"target_type":"SMN","target_id":")" +
           urn + R"(","target_name":"rotations"}})";
  }

  testing::PostgresDatabase database_;
  std::vector<std::unique_ptr<testing::ServerProcess>> servers_;
};

constexpr const char* k_urn = "urn:smn:region-1:project-a:rotations";

TEST_F(scaling_e2e_test, an_event_created_on_one_is_read_updated_and_deleted_through_another) {
  ASSERT_EQ(call(0, "POST", "/v1/project-a/csms/events", event_body("shared", k_urn)).status, 200);
  ASSERT_TRUE(within(1s, [&] {
    return call(1, "GET", "/v1/project-a/csms/events/shared").status == 200;
  })) << "the second process serves it within a second";
  ASSERT_EQ(call(1, "PUT", "/v1/project-a/csms/events/shared", R"({"state":"DISABLED"})").status,
            200);
  ASSERT_TRUE(within(1s, [&] {
    return call(2, "GET", "/v1/project-a/csms/events/shared").body.find("DISABLED") !=
           std::string::npos;
  })) << "the third sees the second's update";
  ASSERT_EQ(call(2, "DELETE", "/v1/project-a/csms/events/shared").status, 204);
  ASSERT_TRUE(within(1s, [&] {
    return call(0, "GET", "/v1/project-a/csms/events/shared").status == 404;
  })) << "and the first its deletion";
}

TEST_F(scaling_e2e_test, a_process_with_another_region_refuses_to_start_and_names_it) {
  const auto [status, output] =
      testing::ServerProcess::run_to_exit({"--token", std::string(k_token_a) + "=project-a",
                                           "--region", "region-2", "--store", database_.uri()});
  EXPECT_EQ(status, 1) << output;
  EXPECT_NE(output.find("region region-2"), std::string::npos) << output;
  EXPECT_NE(output.find("region-1"), std::string::npos) << "and what the others run with";
  EXPECT_EQ(call(0, "GET", "/v1/project-a/csms/events").status, 200) << "the others go on";
}

TEST_F(scaling_e2e_test, two_processes_racing_to_create_one_name_end_with_one_success_each_round) {
  for (int round = 0; round < 100; ++round) {
    const std::string name = "race-" + std::to_string(round);
    std::barrier start(2);
    http::Response first, second;
    std::thread racer([&] {
      start.arrive_and_wait();
      first = call(0, "POST", "/v1/project-a/csms/events", event_body(name, k_urn));
    });
    start.arrive_and_wait();
    second = call(1, "POST", "/v1/project-a/csms/events", event_body(name, k_urn));
    racer.join();
    ASSERT_EQ((first.status == 200) + (second.status == 200), 1)
        << "round " << round << ": " << first.status << " " << first.body << " / " << second.status
        << " " << second.body;
    const auto& lost = first.status == 200 ? second : first;
    EXPECT_EQ(lost.status, 400) << lost.body;
    // Deleted again through the third: the quota of 30 events must not stop the rounds.
    ASSERT_EQ(call(2, "DELETE", "/v1/project-a/csms/events/" + name).status, 204);
  }
}

TEST_F(scaling_e2e_test, a_quota_is_never_exceeded_under_racing_creates) {
  constexpr int k_racers = 45;  // the quota is 30 events a project
  std::barrier start(k_racers);
  std::atomic<int> created{0}, refused{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < k_racers; ++i) {
    racers.emplace_back([&, i, url = servers_[i % 3]->url()] {
      start.arrive_and_wait();
      const auto r = call_at(url, "POST", "/v1/project-a/csms/events",
                             event_body("quota-" + std::to_string(i), k_urn));
      if (r.status == 200) ++created;
      if (r.status == 400 && r.body.find("at most 30") != std::string::npos) ++refused;
    });
  }
  for (auto& racer : racers) racer.join();
  EXPECT_EQ(created.load(), 30);
  EXPECT_EQ(refused.load(), k_racers - 30);
  for (std::size_t s = 0; s < 3; ++s) {
    EXPECT_TRUE(within(1s,
                       [&] {
                         const auto listed = call(s, "GET", "/v1/project-a/csms/events?limit=50");
                         return listed.status == 200 &&
                                json::parse(listed.body).at("events").as_array().size() == 30;
                       }))
        << "server " << s;
  }
}

TEST_F(scaling_e2e_test, an_expiry_timer_armed_through_one_fires_exactly_once_with_three) {
  testing::Receiver receiver;
  ASSERT_NO_FATAL_FAILURE(subscribe(receiver));
  ASSERT_EQ(call(0, "POST", "/v1/project-a/csms/events",
                 R"({"name":"expiry","event_types":["SECRET_VERSION_EXPIRED"],"state":"ENABLED",
                     "notification":{"target_type":"SMN","target_id":")" +
                     std::string(k_urn) + R"(","target_name":"rotations"}})")
                .status,
            200);
  ASSERT_EQ(
      call(0, "PUT", "/v1/project-a/secrets/db", R"({"event_subscriptions":["expiry"]})").status,
      200);
  const auto due = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch() + 2s)
                       .count();
  ASSERT_EQ(call(1, "PUT", "/v1/project-a/secrets/db/versions/v1",
                 R"({"expire_time":)" + std::to_string(due) + "}")
                .status,
            200);
  for (std::size_t s = 0; s < 3; ++s) {
    ASSERT_TRUE(within(1s,
                       [&] {
                         return call(s, "GET", "/v1/project-a/secrets/db/versions/v1")
                                    .body.find(std::to_string(due)) != std::string::npos;
                       }))
        << "server " << s << " has it armed";
  }
  // Well past the due time (the schedulers look every second), then a little more.
  ASSERT_TRUE(within(10s, [&] { return !receiver.requests().empty(); }));
  std::this_thread::sleep_for(3s);  // a second firing would come within this
  std::size_t notifications = 0;
  for (const auto& request : receiver.requests()) {
    if (request.header("x-smn-message-type") == "Notification") ++notifications;
  }
  EXPECT_EQ(notifications, 1U) << "fired once, by one of the three";
}

TEST_F(scaling_e2e_test, triggers_sent_round_robin_while_processes_are_killed_are_all_delivered) {
  testing::Receiver receiver;
  ASSERT_NO_FATAL_FAILURE(subscribe(receiver));
  ASSERT_EQ(call(0, "POST", "/v1/project-a/csms/events", event_body("rotated", k_urn)).status, 200);
  ASSERT_EQ(
      call(0, "PUT", "/v1/project-a/secrets/db", R"({"event_subscriptions":["rotated"]})").status,
      200);
  for (std::size_t s = 0; s < 3; ++s) {
    ASSERT_TRUE(within(2s,
                       [&] {
                         return call(s, "GET", "/v1/project-a/secrets/db").status == 200 &&
                                call(s, "GET",
                                     std::string("/v2/project-a/notifications/topics/") + k_urn +
                                         "/subscriptions")
                                        .body.find("\"status\":1") != std::string::npos;
                       }))
        << "server " << s << " routes the secret to the subscribed topic";
  }

  std::mutex servers_mutex;
  std::atomic<bool> sending{true};
  std::mutex acknowledged_mutex;
  std::set<std::string> acknowledged;
  std::thread sender([&] {
    for (std::size_t n = 0; sending; ++n) {
      std::string url;
      {
        std::lock_guard lock(servers_mutex);
        if (servers_[n % 3] == nullptr) continue;  // being restarted
        url = servers_[n % 3]->url();
      }
      const auto fired = call_at(url, "POST", "/v1/project-a/csms/lifecycle-events",
                                 R"({"secret_name":"db","event_type":"SECRET_ROTATED"})");
      if (fired.status != 200) continue;  // not acknowledged: the process was being killed
      const auto id =
          json::parse(fired.body).at("notifications").at(0).at("notification_id").as_string();
      std::lock_guard lock(acknowledged_mutex);
      acknowledged.emplace(id);
    }
  });
  std::mt19937 rng(20261201);
  int kills = 0;
  for (; kills < 10; ++kills) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 300));
    const std::size_t victim = rng() % 3;
    std::unique_ptr<testing::ServerProcess> dead;
    {
      std::lock_guard lock(servers_mutex);
      dead = std::move(servers_[victim]);
      servers_[victim] = nullptr;
    }
    dead->signal(SIGKILL);
    EXPECT_EQ(dead->wait(), 128 + SIGKILL);
    auto restarted = start();
    std::lock_guard lock(servers_mutex);
    servers_[victim] = std::move(restarted);
  }
  sending = false;
  sender.join();
  ASSERT_GE(acknowledged.size(), 50U) << "the load went on between the kills";

  // Every acknowledged trigger reaches the receiver at least once (the dead processes'
  // deliveries and pushes are taken over once their leases run out).
  ASSERT_TRUE(within(30s, [&] {
    std::set<std::string> seen;
    for (const auto& request : receiver.requests()) seen.insert(request.header("x-smn-message-id"));
    return std::ranges::includes(seen, acknowledged);
  })) << "every acknowledged trigger delivered";
  // Every record ends final, one per notification, each finalised once.
  PGconn* conn = PQconnectdb(database_.conninfo().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  ASSERT_TRUE(within(10s, [&] {
    PGresult* pending = PQexec(conn, "SELECT count(*) FROM herald_records WHERE status IS NULL");
    const bool none = PQresultStatus(pending) == PGRES_TUPLES_OK &&
                      std::string_view(PQgetvalue(pending, 0, 0)) == "0";
    PQclear(pending);
    return none;
  })) << "every record final";
  PGresult* records = PQexec(conn, "SELECT notification_id, status FROM herald_records");
  ASSERT_EQ(PQresultStatus(records), PGRES_TUPLES_OK);
  std::map<std::string, std::string> status_of;
  for (int i = 0; i < PQntuples(records); ++i) {
    const std::string id = PQgetvalue(records, i, 0);
    EXPECT_FALSE(status_of.contains(id)) << "one record per notification: " << id;
    status_of[id] = PQgetvalue(records, i, 1);
  }
  PQclear(records);
  PQfinish(conn);
  for (const auto& id : acknowledged) {
    ASSERT_TRUE(status_of.contains(id)) << id;
    EXPECT_EQ(status_of[id], "SUCCESS") << id;
  }
}

}  // namespace
}  // namespace herald
