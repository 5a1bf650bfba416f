// herald's demo: configure notification rules ("events") the way the CSMS API does, from C++.
//
// It creates the seed document's example event, subscribes secrets to it, pages through the
// events, disables one, and shows the contract's refusals (a taken name, deleting an event
// that secrets subscribe to).
#include <herald/herald.hpp>
#include <iostream>
#include <string>
#include <vector>

namespace {

void print(const herald::Event& event) {
  std::cout << "  " << event.name << "  id=" << event.event_id
            << "  state=" << herald::to_string(event.state) << "  types=[";
  for (std::size_t i = 0; i < event.event_types.size(); ++i) {
    std::cout << (i ? "," : "") << herald::to_string(event.event_types[i]);
  }
  std::cout << "]  target=" << event.notification.target_type << " " << event.notification.target_id
            << "  create_time=" << herald::to_epoch_ms(event.create_time)
            << "  update_time=" << herald::to_epoch_ms(event.update_time) << "\n";
}

void print(const herald::Error& error) {
  std::cout << "  refused: " << error.http_status() << " " << error.wire_code() << " "
            << error.message() << "\n";
}

}  // namespace

int main() {
  using namespace std::chrono_literals;
  const std::string project = "dc3b7c85759141a991da17423c0f2068";
  auto clock = std::make_shared<herald::ManualClock>();
  herald::Options options;
  options.max_events_per_secret = 2;
  herald::Engine engine(options, clock);

  std::cout << "herald " << herald::k_version
            << " demo\n\n1. CreateSecretEvent (the seed request)\n";
  const herald::EventSpec seed{
      .name = "demo-event",
      .event_types = {herald::EventType::secret_version_created,
                      herald::EventType::secret_version_expired},
      .state = herald::EventState::enabled,
      .notification = {"SMN", "urn:smn:cn-north-4:" + project + ":test-poc", "demo-smn-name"}};
  print(engine.create_event(project, seed).value());

  std::cout << "\n2. the same name again\n";
  print(engine.create_event(project, seed).error());

  std::cout << "\n3. two more events, then ListSecretEvents with limit=2\n";
  for (const auto* name : {"rotation-watch", "deletion-watch"}) {
    auto spec = seed;
    spec.name = name;
    spec.event_types = {herald::EventType::secret_rotated, herald::EventType::secret_deleted};
    (void)engine.create_event(project, spec).value();
  }
  const auto page = engine.list_events(project, {.limit = 2}).value();
  for (const auto& event : page.items) print(event);
  std::cout << "  page_info: next_marker=" << page.page_info.next_marker.value_or("null")
            << " current_count=" << page.page_info.current_count << "\n";
  const auto next =
      engine.list_events(project, {.limit = 2, .marker = *page.page_info.next_marker});
  for (const auto& event : next->items) print(event);

  std::cout << "\n4. UpdateSecretEvent: disable rotation-watch one second later\n";
  clock->advance(1s);
  herald::EventPatch disable;
  disable.state = herald::EventState::disabled;
  print(engine.update_event(project, "rotation-watch", disable).value());

  std::cout << "\n5. secrets subscribe (event_subscriptions)\n";
  for (const auto* secret : {"db-password", "api.key"}) {
    const auto set = engine.set_subscriptions(
        project, secret, std::vector<std::string>{"demo-event", "rotation-watch"});
    std::cout << "  " << set->name << " -> " << set->event_subscriptions.size() << " events\n";
  }
  const auto attached = engine.list_secrets(project, "demo-event", {});
  std::cout << "  secrets attached to demo-event:";
  for (const auto& secret : attached->items) std::cout << " " << secret.name;
  std::cout << "\n";

  std::cout << "\n6. DeleteSecretEvent while secrets subscribe, then after clearing them\n";
  print(engine.delete_event(project, "demo-event").error());
  for (const auto* secret : {"db-password", "api.key"}) {
    (void)engine.set_subscriptions(project, secret, std::vector<std::string>{}).value();
  }
  std::cout << "  deleted: " << std::boolalpha << engine.delete_event(project, "demo-event").ok()
            << "\n";
  return 0;
}
