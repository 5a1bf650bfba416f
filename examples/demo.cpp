// herald's demo: a secret manager's day, from C++.
//
// It creates an SMN topic, creates the seed document's example event, subscribes a secret,
// rotates it, arms a version's expiry and lets the clock pass it, fails a rotation whose
// notification goes to a topic that does not exist, and prints what was delivered and recorded.
#include <herald/herald.hpp>
#include <iostream>
#include <string>
#include <vector>

namespace {

const std::string k_project = "dc3b7c85759141a991da17423c0f2068";

void print_report(herald::EventType type, const herald::TriggerReport& report) {
  std::cout << "  " << herald::to_string(type) << ":";
  std::cout << (report.notifications.empty() ? " no subscribed event lists it\n" : "\n");
  for (const auto& n : report.notifications) {
    std::cout << "    -> " << n.event_name << ": " << herald::to_string(n.notification_status)
              << (n.failure_reason.empty() ? "" : " (" + n.failure_reason + ")") << "\n";
  }
}

}  // namespace

int main() {
  using namespace std::chrono_literals;
  auto clock = std::make_shared<herald::ManualClock>();  // the demo moves time itself
  herald::Engine engine(herald::Options{.max_events_per_secret = 2}, clock);

  // SMN, the default notification target, played by the in-process stand-in.
  auto smn = std::make_shared<herald::SmnTopics>("cn-north-4");
  const herald::ScopedConnection smn_connection = engine.connect_sink("SMN", herald::smn_sink(smn));

  std::cout << "herald " << herald::k_version << " demo\n\n";
  const auto topic = smn->create_topic(k_project, "test-poc", "Secret notices").value().topic;
  std::cout << "1. SMN topic created: " << topic.topic_urn << "\n";

  const herald::EventSpec seed{
      .name = "demo-event",
      .event_types = {herald::EventType::secret_version_created,
                      herald::EventType::secret_version_expired},
      .state = herald::EventState::enabled,
      .notification = {"SMN", "urn:smn:cn-north-4:" + k_project + ":test-poc", "demo-smn-name"}};
  const auto event = engine.create_event(k_project, seed).value();
  std::cout << "2. event created: " << event.name << " (event_id " << event.event_id << ")\n";

  // A second event, for failed rotations, whose topic was never created.
  herald::EventSpec failures = seed;
  failures.name = "rotation-failures";
  failures.event_types = {herald::EventType::secret_rotated_failed};
  failures.notification = {"SMN", "urn:smn:cn-north-4:" + k_project + ":missing-topic",
                           "missing-topic"};
  (void)engine.create_event(k_project, failures).value();

  (void)engine
      .set_subscriptions(k_project, "db-password",
                         std::vector<std::string>{"demo-event", "rotation-failures"})
      .value();
  std::cout << "3. secret db-password subscribes to demo-event and rotation-failures\n";

  std::cout << "4. db-password rotated: a new version v2 is created\n";
  clock->advance(1min);
  print_report(herald::EventType::secret_rotated,
               engine
                   .trigger(k_project, {.secret_name = "db-password",
                                        .type = herald::EventType::secret_rotated})
                   .value());
  print_report(herald::EventType::secret_version_created,
               engine
                   .trigger(k_project, {.secret_name = "db-password",
                                        .type = herald::EventType::secret_version_created,
                                        .version_id = "v2"})
                   .value());

  std::cout << "5. version v2 expires in one hour; the clock moves 61 minutes\n";
  (void)engine.set_version_expiry(k_project, "db-password", "v2", clock->now() + 1h).value();
  clock->advance(61min);
  std::cout << "  timers fired: " << engine.run_due() << "\n";

  std::cout << "6. the next rotation fails; its notice goes to a topic that does not exist\n";
  print_report(herald::EventType::secret_rotated_failed,
               engine
                   .trigger(k_project, {.secret_name = "db-password",
                                        .type = herald::EventType::secret_rotated_failed})
                   .value());

  std::cout << "\nMessages on " << topic.topic_urn << ":\n";
  for (const auto& message : smn->messages(k_project, topic.topic_urn).value()) {
    std::cout << "  " << message << "\n";
  }

  std::cout << "\nNotification records, newest first:\n";
  for (const auto& r : engine.list_records(k_project, {}).value().items) {
    std::cout << "  " << herald::to_epoch_ms(r.create_time) << "  " << r.event_name << "  "
              << herald::to_string(r.trigger_event_type) << "  " << r.secret_name << "  "
              << herald::to_string(r.notification_status) << "  -> " << r.notification_target_id
              << (r.failure_reason.empty() ? "" : "  (" + r.failure_reason + ")") << "\n";
  }
  return 0;
}
