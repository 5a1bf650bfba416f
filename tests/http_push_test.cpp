// One HTTP push attempt against a real receiver on loopback: what each answer means (§5).
#include <gtest/gtest.h>

#include <cstdlib>

#include "receiver.hpp"
#include "sinks/http_push.hpp"

namespace herald::detail {
namespace {

using namespace std::chrono_literals;
using testing::Receiver;
using testing::ScriptedAnswer;

PushRequest to(const Receiver& receiver, std::chrono::milliseconds timeout = 5s) {
  return PushRequest{receiver.url("/hook?x=1"),
                     {{"X-SMN-MESSAGE-TYPE", "Notification"}, {"webhook-id", "m-1"}},
                     R"({"type":"Notification"})",
                     timeout,
                     true};
}

TEST(http_push_test, a_2xx_delivers_the_post_with_its_headers_and_body) {
  Receiver receiver;
  receiver.script({{.status = 204}});
  const auto result = push_once(to(receiver));
  EXPECT_EQ(result.kind, PushResult::Kind::delivered) << result.error;
  EXPECT_EQ(result.http_status, 204);
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/hook?x=1");
  EXPECT_EQ(requests[0].header("content-type"), "application/json");
  EXPECT_EQ(requests[0].header("x-smn-message-type"), "Notification");
  EXPECT_EQ(requests[0].header("webhook-id"), "m-1");
  EXPECT_EQ(requests[0].body, R"({"type":"Notification"})");
}

TEST(http_push_test, each_answer_is_retried_or_final_as_the_contract_says) {
  struct Row {
    ScriptedAnswer answer;
    PushResult::Kind kind;
    bool unsubscribe;
  };
  const Row rows[] = {
      {{.status = 500}, PushResult::Kind::retry, false},
      {{.status = 503}, PushResult::Kind::retry, false},
      {{.status = 408}, PushResult::Kind::retry, false},
      {{.status = 429}, PushResult::Kind::retry, false},
      {{.status = 404}, PushResult::Kind::final, false},
      {{.status = 400}, PushResult::Kind::final, false},
      {{.status = 410}, PushResult::Kind::final, true},
  };
  for (const auto& row : rows) {
    Receiver receiver;
    receiver.script({row.answer});
    const auto result = push_once(to(receiver));
    EXPECT_EQ(result.kind, row.kind) << row.answer.status;
    EXPECT_EQ(result.http_status, row.answer.status);
    EXPECT_EQ(result.error, "HTTP " + std::to_string(row.answer.status));
    EXPECT_EQ(result.unsubscribe, row.unsubscribe) << row.answer.status;
  }
}

TEST(http_push_test, a_429_brings_its_retry_after_in_seconds_or_as_a_date) {
  Receiver receiver;
  receiver.script({{.status = 429, .headers = {{"Retry-After", "7"}}},
                   {.status = 503, .headers = {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}}}});
  EXPECT_EQ(push_once(to(receiver)).retry_after, 7s);
  EXPECT_EQ(push_once(to(receiver)).retry_after, 0s) << "a date in the past: no wait";
  const auto now = std::chrono::system_clock::from_time_t(1'445'412'480);  // 07:28:00 that day
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now), 120s);
  EXPECT_EQ(parse_retry_after("soon", now), std::nullopt);
  // A hostile receiver's huge value is capped at a day (and cannot overflow the wait).
  EXPECT_EQ(parse_retry_after("9223372036854775807", now), std::chrono::hours(24));
  EXPECT_EQ(parse_retry_after("-3", now), std::nullopt);
}

TEST(http_push_test, a_redirect_is_final_and_its_location_is_never_requested) {
  Receiver receiver;
  Receiver elsewhere;
  receiver.script({{.status = 302, .headers = {{"Location", elsewhere.url("/stolen")}}}});
  const auto result = push_once(to(receiver));
  EXPECT_EQ(result.kind, PushResult::Kind::final);
  EXPECT_EQ(result.http_status, 302);
  EXPECT_EQ(result.error, "HTTP 302 (redirects are not followed)");
  EXPECT_TRUE(elsewhere.requests().empty());
}

TEST(http_push_test, a_receiver_that_never_answers_times_out_and_is_retried) {
  Receiver receiver;
  receiver.script({{.hang = true}});
  const auto started = std::chrono::steady_clock::now();
  const auto result = push_once(to(receiver, 300ms));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(result.kind, PushResult::Kind::retry);
  EXPECT_EQ(result.http_status, std::nullopt);
  EXPECT_EQ(result.error, "timed out");
  EXPECT_GE(took, 250ms) << "libcurl's timer may fire a little before the 300 ms";
  EXPECT_LT(took, 5s) << "the attempt's timeout bounds it";
}

TEST(http_push_test, a_closed_port_is_a_connection_error_and_is_retried) {
  int port = 0;
  {
    Receiver gone;
    port = gone.port();
  }
  const auto result =
      push_once(PushRequest{"http://127.0.0.1:" + std::to_string(port) + "/", {}, "{}", 2s, true});
  EXPECT_EQ(result.kind, PushResult::Kind::retry);
  EXPECT_EQ(result.http_status, std::nullopt);
  EXPECT_FALSE(result.error.empty());
}

TEST(http_push_test, the_connect_time_guard_refuses_a_private_address_before_any_byte) {
  Receiver receiver;
  auto request = to(receiver);
  request.allow_private = false;
  // The name is resolved by libcurl at connect time: the guard judges that address.
  request.url = "http://localhost:" + std::to_string(receiver.port()) + "/hook";
  const auto result = push_once(request);
  EXPECT_EQ(result.kind, PushResult::Kind::final);
  EXPECT_TRUE(result.error.starts_with("endpoint: connecting to ")) << result.error;
  EXPECT_NE(result.error.find("a loopback address"), std::string::npos) << result.error;
  EXPECT_TRUE(receiver.requests().empty()) << "nothing reached the address";
}

TEST(http_push_test, a_proxy_from_the_environment_is_never_used) {
  Receiver receiver;
  Receiver proxy;
  ::setenv("http_proxy", proxy.url("").c_str(), 1);
  ::setenv("HTTP_PROXY", proxy.url("").c_str(), 1);
  const auto result = push_once(to(receiver));
  ::unsetenv("http_proxy");
  ::unsetenv("HTTP_PROXY");
  EXPECT_EQ(result.kind, PushResult::Kind::delivered) << result.error;
  EXPECT_EQ(receiver.requests().size(), 1U);
  EXPECT_TRUE(proxy.requests().empty());
}

}  // namespace
}  // namespace herald::detail
