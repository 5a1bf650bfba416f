// Builds against the installed headers and library, creates the seed event and reads it back.
#include <herald/herald.hpp>
#include <iostream>

int main() {
  herald::Engine engine;
  herald::EventSpec spec{.name = "demo-event",
                         .event_types = {herald::EventType::secret_version_created},
                         .state = herald::EventState::enabled,
                         .notification = {"SMN", "urn:smn:region-1:project:topic", "topic"}};
  const auto created = engine.create_event("project", spec);
  if (!created) {
    std::cerr << created.error().message() << "\n";
    return 1;
  }
  const auto shown = engine.show_event("project", "demo-event");
  if (!shown || shown->event_id != created->event_id) return 1;
  std::cout << "herald " << herald::k_version << ": created " << shown->name << " "
            << shown->event_id << "\n";
  return 0;
}
