// SECRET_VERSION_EXPIRED: fires once per expire_time value when the clock reaches it.
#include <gtest/gtest.h>

#include <condition_variable>

#include "test_support.hpp"

namespace herald {
namespace {

using namespace std::chrono_literals;
using testing::k_project;
using names = std::vector<std::string>;

class expiry_test : public testing::engine_fixture {
 protected:
  expiry_test() {
    sink_ = engine_.connect_sink("SMN", callback_sink([this](const Notification& n) {
                                   std::lock_guard lock(mutex_);
                                   fired_.emplace_back(n.version_id.value_or("-"));
                                   changed_.notify_all();
                                 }));
    auto spec = testing::event_spec("expiry-watch");
    spec.event_types = {EventType::secret_version_expired};
    EXPECT_TRUE(engine_.create_event(k_project, spec).ok());
    EXPECT_TRUE(engine_.set_subscriptions(k_project, "db", names{"expiry-watch"}).ok());
  }
  Result<VersionExpiry> expire(std::string_view version, std::optional<TimePoint> at) {
    return engine_.set_version_expiry(k_project, "db", version, at, SecretType::gaussdb_fg);
  }
  names fired() {
    std::lock_guard lock(mutex_);
    return fired_;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  names fired_;
  ScopedConnection sink_;
};

TEST_F(expiry_test, fires_once_when_the_clock_reaches_the_time) {
  const auto at = clock_->now() + 10s;
  const auto armed = expire("v1", at);
  ASSERT_TRUE(armed.ok()) << armed.error().message();
  EXPECT_EQ(armed.value(), (VersionExpiry{"db", "v1", at}));
  EXPECT_EQ(engine_.show_version_expiry(k_project, "db", "v1").value(), armed.value());

  clock_->advance(10s - 1ms);
  EXPECT_EQ(engine_.run_due(), 0U);
  EXPECT_TRUE(fired().empty()) << "not before its time";
  clock_->advance(1ms);
  EXPECT_EQ(engine_.run_due(), 1U);
  EXPECT_EQ(fired(), names{"v1"});
  clock_->advance(1h);
  EXPECT_EQ(engine_.run_due(), 0U) << "once per value";
  EXPECT_EQ(fired(), names{"v1"});
  EXPECT_FALSE(engine_.show_version_expiry(k_project, "db", "v1")->expire_time.has_value());

  const auto record = engine_.list_records(k_project, {})->items.at(0);
  EXPECT_EQ(record.trigger_event_type, EventType::secret_version_expired);
  EXPECT_EQ(record.secret_type, SecretType::gaussdb_fg);
  EXPECT_NE(record.notification_content->find("\"version_id\":\"v1\""), std::string::npos);
}

TEST_F(expiry_test, a_new_value_re_arms_and_the_old_one_no_longer_fires) {
  ASSERT_TRUE(expire("v1", clock_->now() + 10s).ok());
  ASSERT_TRUE(expire("v1", clock_->now() + 20s).ok());
  clock_->advance(15s);
  EXPECT_EQ(engine_.run_due(), 0U) << "the replaced value does not fire";
  clock_->advance(5s);
  EXPECT_EQ(engine_.run_due(), 1U);
  ASSERT_TRUE(expire("v1", clock_->now() + 1s).ok()) << "after firing, a new value re-arms";
  clock_->advance(1s);
  EXPECT_EQ(engine_.run_due(), 1U);
  EXPECT_EQ(fired(), (names{"v1", "v1"}));
}

TEST_F(expiry_test, clearing_cancels) {
  ASSERT_TRUE(expire("v1", clock_->now() + 10s).ok());
  const auto cleared = expire("v1", std::nullopt);
  ASSERT_TRUE(cleared.ok());
  EXPECT_FALSE(cleared->expire_time.has_value());
  clock_->advance(1h);
  EXPECT_EQ(engine_.run_due(), 0U);
  EXPECT_TRUE(fired().empty());
}

TEST_F(expiry_test, versions_fire_in_time_order_each_once) {
  ASSERT_TRUE(expire("late", clock_->now() + 30s).ok());
  ASSERT_TRUE(expire("early", clock_->now() + 10s).ok());
  ASSERT_TRUE(expire("middle", clock_->now() + 20s).ok());
  clock_->advance(1min);
  EXPECT_EQ(engine_.run_due(), 3U);
  EXPECT_EQ(fired(), (names{"early", "middle", "late"}));
}

TEST_F(expiry_test, the_time_must_lie_in_the_future) {
  EXPECT_ERROR(expire("v1", clock_->now()), invalid_argument, "expire_time");
  EXPECT_ERROR(expire("v1", clock_->now() - 1ms), invalid_argument, "expire_time");
  EXPECT_TRUE(expire("v1", clock_->now() + 1ms).ok());
  EXPECT_ERROR(expire("bad/version", clock_->now() + 1s), invalid_argument, "version_id");
  EXPECT_ERROR(engine_.set_version_expiry(k_project, "bad secret", "v", clock_->now() + 1s),
               invalid_argument, "secret_name");
}

TEST_F(expiry_test, arming_makes_the_secret_known) {
  EXPECT_ERROR(engine_.show_secret(k_project, "fresh"), not_found, "fresh");
  ASSERT_TRUE(engine_.set_version_expiry(k_project, "fresh", "v1", clock_->now() + 1s).ok());
  EXPECT_EQ(engine_.show_secret(k_project, "fresh").value(), (Secret{"fresh", {}}));
}

TEST_F(expiry_test, a_disabled_event_lets_the_timer_pass_without_a_record) {
  EventPatch disable;
  disable.state = EventState::disabled;
  ASSERT_TRUE(engine_.update_event(k_project, "expiry-watch", disable).ok());
  ASSERT_TRUE(expire("v1", clock_->now() + 1s).ok());
  clock_->advance(1s);
  EXPECT_EQ(engine_.run_due(), 1U);
  EXPECT_TRUE(fired().empty());
  EXPECT_TRUE(engine_.list_records(k_project, {})->items.empty());
}

TEST_F(expiry_test, the_background_scheduler_fires_without_the_host) {
  ExpiryScheduler scheduler(engine_, 10ms);
  ASSERT_TRUE(expire("v1", clock_->now() + 5s).ok());
  clock_->advance(5s);
  scheduler.poke();
  std::unique_lock lock(mutex_);
  // A condition, not a sleep: returns as soon as the timer fired (bounded for a broken build).
  ASSERT_TRUE(changed_.wait_for(lock, 10s, [&] { return !fired_.empty(); }));
  EXPECT_EQ(fired_, names{"v1"});
  lock.unlock();
  scheduler.stop();
  scheduler.stop();  // idempotent
}

TEST_F(expiry_test, the_scheduler_polls_on_its_own) {
  ExpiryScheduler scheduler(engine_, 5ms);
  ASSERT_TRUE(expire("v2", clock_->now() + 1s).ok());
  clock_->advance(1s);  // no poke: the interval alone must get there
  std::unique_lock lock(mutex_);
  ASSERT_TRUE(changed_.wait_for(lock, 10s, [&] { return !fired_.empty(); }));
  EXPECT_EQ(fired_, names{"v2"});
}

}  // namespace
}  // namespace herald
