// Builds against the installed headers and library, creates the seed event and reads it back.
#include <herald/aksk.hpp>
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
  // herald::api too: the SDK's own signature of spec/sdk-signing.md §8 A.
  const auto signature =
      herald::aksk::signature("HeraldExampleSecretKey000000000000000001",
                              "SDK-HMAC-SHA256\n20261201T120000Z\n"
                              "10276e0c7d7c4df06068af661afcb63b3325bfb33fc5f37fe715271bf0c8e679");
  if (signature != "0d5f53ac3ed881384b6fbe1bb4aea312b2a93f712a0d6e42cbb19c759cdca2f4") {
    std::cerr << "herald::api: unexpected signature " << signature << "\n";
    return 1;
  }
  std::cout << "herald " << herald::k_version << ": created " << shown->name << " "
            << shown->event_id << "\n";
  return 0;
}
