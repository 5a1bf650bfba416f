// The child of the crash test: an engine on a SQLite file, a sink that appends each message to
// a JSON-lines file, N triggers; after each trigger returns, its notification_id is written to
// stdout ("acknowledged"). The parent kills it with SIGKILL at a random acknowledgement.
//
// usage: herald_crash_child DB DELIVERED_FILE TRIGGERS
#include <cstdio>
#include <cstdlib>
#include <string>

#include "herald/herald.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: herald_crash_child DB DELIVERED_FILE TRIGGERS\n");
    return 2;
  }
  const std::string project = "crash-project";
  auto store = herald::open_sqlite_store(argv[1]);
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().message().c_str());
    return 1;
  }
  auto engine = herald::Engine::open(std::move(store).value());
  if (!engine) {
    std::fprintf(stderr, "%s\n", engine.error().message().c_str());
    return 1;
  }
  auto sink = herald::json_lines_file_sink(argv[2]);
  if (!sink) {
    std::fprintf(stderr, "%s\n", sink.error().message().c_str());
    return 1;
  }
  const herald::ScopedConnection connection =
      (*engine)->connect_sink("FILE", std::move(sink).value());
  (*engine)->deliver_pending();

  const herald::EventSpec spec{"rotation",
                               {herald::EventType::secret_rotated},
                               herald::EventState::enabled,
                               {"FILE", "deliveries.jsonl", "deliveries"}};
  if (auto created = (*engine)->create_event(project, spec);
      !created && created.error().code() != herald::ErrorCode::already_exists) {
    std::fprintf(stderr, "%s\n", created.error().message().c_str());
    return 1;
  }
  if (auto set = (*engine)->set_subscriptions(project, "db", std::vector<std::string>{"rotation"});
      !set) {
    std::fprintf(stderr, "%s\n", set.error().message().c_str());
    return 1;
  }
  const long triggers = std::strtol(argv[3], nullptr, 10);
  for (long i = 0; i < triggers; ++i) {
    auto report = (*engine)->trigger(project, {"db", herald::EventType::secret_rotated});
    if (!report) {
      std::fprintf(stderr, "%s\n", report.error().message().c_str());
      return 1;
    }
    const std::string_view id = report->notifications.at(0).notification_id;
    std::printf("%.*s\n", static_cast<int>(id.size()), id.data());
    std::fflush(stdout);
  }
  return 0;
}
