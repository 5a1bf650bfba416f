// The NATS JetStream sink against a real nats-server (contract §6): exactly once in the stream
// across retries, FAIL without a stream, pending through an outage and delivered after it.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "herald/herald.hpp"
#include "nats_server.hpp"
#include "test_support.hpp"

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::k_project;

// What the test reads of the broker, with the C client directly.
class Stream : public testing::HeraldStream {
 public:
  explicit Stream(const std::string& url) : HeraldStream(url) { EXPECT_TRUE(ready()); }
};

template <typename Predicate>
bool eventually(Predicate done, std::chrono::milliseconds within = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

class nats_test : public ::testing::Test {
 protected:
  nats_test() {
    options_.delivery = DeliveryMode::asynchronous;
    options_.retry.initial_backoff = 20ms;
    options_.retry.max_backoff = 100ms;
    options_.retry.max_retries = 2;
  }
  void start_engine() {
    engine_ = std::make_unique<Engine>(options_);
    auto sink = nats_sink({.url = broker_.url(), .ack_timeout = 2000ms});
    ASSERT_TRUE(sink.ok()) << sink.error().message();
    // Counted, so that a test can wait for attempts instead of for time.
    connection_ = engine_->connect_sink(
        "NATS", [this, nats = std::move(sink).value()](const Notification& n) {
          ++attempts_;
          return nats(n);
        });
  }
  void add_event(const std::string& name, const std::string& subject) {
    ASSERT_TRUE(engine_
                    ->create_event(k_project, {name,
                                               {EventType::secret_rotated},
                                               EventState::enabled,
                                               {"NATS", subject, "label"}})
                    .ok());
    ASSERT_TRUE(engine_->set_subscriptions(k_project, "db", std::vector<std::string>{name}).ok());
  }
  std::vector<NotificationRecord> final_records() {
    return engine_->list_records(k_project, {}).value().items;
  }

  testing::NatsServer broker_;
  Options options_;
  std::atomic<int> attempts_{0};
  std::unique_ptr<Engine> engine_;
  ScopedConnection connection_;
};

TEST_F(nats_test, a_notification_lands_in_the_stream_once_even_when_published_again) {
  ASSERT_TRUE(broker_.running());
  Stream stream(broker_.url());
  start_engine();
  add_event("rotated", "herald.rotations");
  ASSERT_TRUE(engine_->trigger(k_project, {"db", EventType::secret_rotated}).ok());
  ASSERT_TRUE(eventually([&] { return final_records().size() == 1; }));
  EXPECT_EQ(final_records()[0].notification_status, NotificationStatus::success);
  EXPECT_EQ(stream.messages(), 1U);
  // herald retrying the same notification (a lost PubAck, a restart): the same Nats-Msg-Id.
  auto sink = nats_sink({.url = broker_.url()}).value();
  const auto n = make_notification({.notification_id = final_records()[0].notification_id,
                                    .project_id = k_project,
                                    .event_name = "rotated",
                                    .secret_name = "db",
                                    .target = {"NATS", "herald.rotations", "label"}});
  EXPECT_EQ(sink(*n).status, SinkStatus::delivered);
  EXPECT_EQ(sink(*n).status, SinkStatus::delivered);
  EXPECT_EQ(stream.messages(), 1U) << "JetStream dropped the duplicates by Nats-Msg-Id";
}

TEST_F(nats_test, a_bad_subject_is_invalid_and_a_subject_without_a_stream_fails) {
  Stream stream(broker_.url());
  start_engine();
  add_event("bad", "herald.*");
  ASSERT_TRUE(engine_->trigger(k_project, {"db", EventType::secret_rotated}).ok());
  ASSERT_TRUE(eventually([&] { return final_records().size() == 1; }));
  EXPECT_EQ(final_records()[0].notification_status, NotificationStatus::invalid);
  EXPECT_NE(final_records()[0].failure_reason.find("not a NATS subject"), std::string::npos);

  add_event("nowhere", "other.subject");
  ASSERT_TRUE(engine_->trigger(k_project, {"db", EventType::secret_rotated}).ok());
  ASSERT_TRUE(eventually([&] { return final_records().size() == 2; }));
  const auto record = final_records()[0];
  EXPECT_EQ(record.notification_status, NotificationStatus::fail);
  EXPECT_NE(record.failure_reason.find("no stream listens on subject other.subject"),
            std::string::npos)
      << record.failure_reason;
  EXPECT_EQ(stream.messages(), 0U);
}

TEST_F(nats_test, with_the_broker_down_the_delivery_waits_and_arrives_once_it_is_back) {
  { Stream stream(broker_.url()); }  // the stream exists, kept in the broker's storage
  start_engine();
  add_event("rotated", "herald.rotations");
  broker_.stop();
  ASSERT_TRUE(engine_->trigger(k_project, {"db", EventType::secret_rotated}).ok());
  // More tries than the schedule allows a failing delivery (the first and two retries): an
  // outage is not counted, so it is still pending, not FAIL.
  ASSERT_TRUE(eventually([&] { return attempts_.load() >= 5; }));
  EXPECT_TRUE(final_records().empty()) << "pending through the outage, not FAIL";
  broker_.start();
  ASSERT_TRUE(eventually([&] { return final_records().size() == 1; }));
  EXPECT_EQ(final_records()[0].notification_status, NotificationStatus::success);
  Stream stream(broker_.url());
  EXPECT_EQ(stream.messages(), 1U);
}

TEST_F(nats_test, a_broker_down_at_start_holds_nothing_up_and_is_used_once_it_is_there) {
  { Stream stream(broker_.url()); }
  broker_.stop();
  start_engine();  // returns at once: the first connect goes on in the background
  add_event("rotated", "herald.rotations");
  ASSERT_TRUE(engine_->trigger(k_project, {"db", EventType::secret_rotated}).ok());
  ASSERT_TRUE(eventually([&] { return attempts_.load() >= 2; }));
  EXPECT_TRUE(final_records().empty()) << "pending while the broker is away";
  broker_.start();
  ASSERT_TRUE(eventually([&] { return final_records().size() == 1; }));
  EXPECT_EQ(final_records()[0].notification_status, NotificationStatus::success);
}

TEST(nats_subject_test, subjects_follow_the_contract) {
  EXPECT_TRUE(is_nats_subject("herald.rotations"));
  EXPECT_TRUE(is_nats_subject("a-b_c.D9"));
  EXPECT_FALSE(is_nats_subject(""));
  EXPECT_FALSE(is_nats_subject("herald.>"));
  EXPECT_FALSE(is_nats_subject("herald.*"));
  EXPECT_FALSE(is_nats_subject("herald..x"));
  EXPECT_FALSE(is_nats_subject(".herald"));
  EXPECT_FALSE(is_nats_subject("herald."));
  EXPECT_FALSE(is_nats_subject("has space"));
  EXPECT_FALSE(is_nats_subject(std::string(257, 'a')));
  EXPECT_EQ(nats_sink({.url = "http://x"}).error().code(), ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace herald
