// Crash safety: a child process runs an engine on a SQLite file and is killed with SIGKILL at a
// random moment, twenty times; a last run finishes. Then every trigger that had returned was
// delivered at least once, duplicates share their notification_id (and message), every record
// has a final status (the outbox is empty) and the database passes PRAGMA integrity_check.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

extern char** environ;

namespace herald {
namespace {

namespace fs = std::filesystem;

struct Run {
  std::vector<std::string> acknowledged;
  int status = 0;
};

// Runs the child; kills it with SIGKILL once it has acknowledged `kill_after` triggers (never
// when negative). Reads every acknowledgement it wrote before dying.
Run run_child(const fs::path& db, const fs::path& delivered, int triggers, int kill_after) {
  int out[2];
  EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  std::vector<std::string> args = {HERALD_CRASH_CHILD_PATH, db.string(), delivered.string(),
                                   std::to_string(triggers)};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, HERALD_CRASH_CHILD_PATH, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);

  Run run;
  std::string pending;
  bool killed = false;
  if (kill_after == 0) {
    kill(pid, SIGKILL);
    killed = true;
  }
  char buffer[4096];
  while (true) {
    pollfd fd{out[0], POLLIN, 0};
    if (poll(&fd, 1, 30'000) <= 0) break;  // bounded, for a hung child
    const auto n = read(out[0], buffer, sizeof buffer);
    if (n <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    for (auto newline = pending.find('\n'); newline != std::string::npos;
         newline = pending.find('\n')) {
      run.acknowledged.push_back(pending.substr(0, newline));
      pending.erase(0, newline + 1);
      if (!killed && kill_after > 0 && static_cast<int>(run.acknowledged.size()) >= kill_after) {
        kill(pid, SIGKILL);
        killed = true;
      }
    }
  }
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

std::int64_t count(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &statement, nullptr);
  std::int64_t value = -1;
  if (sqlite3_step(statement) == SQLITE_ROW) value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  return value;
}

TEST(crash_test, every_acknowledged_trigger_is_delivered_across_sigkills) {
  const fs::path dir = fs::temp_directory_path() / ("herald-crash-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path db = dir / "herald.db";
  const fs::path delivered = dir / "delivered.jsonl";
  constexpr int k_triggers = 120;

  std::mt19937 rng(20261130);
  std::set<std::string> acknowledged;
  int killed_runs = 0;
  for (int run = 0; run < 20; ++run) {
    const int kill_after = static_cast<int>(rng() % k_triggers);  // 0: while starting
    const auto result = run_child(db, delivered, k_triggers, kill_after);
    acknowledged.insert(result.acknowledged.begin(), result.acknowledged.end());
    if (result.status == 128 + SIGKILL) ++killed_runs;
    ASSERT_TRUE(result.status == 0 || result.status == 128 + SIGKILL)
        << "run " << run << " ended with " << result.status;
  }
  EXPECT_GE(killed_runs, 15) << "most runs must really have been killed mid-way";
  const auto last = run_child(db, delivered, 0, -1);  // replays what is pending, then exits
  ASSERT_EQ(last.status, 0);

  // What the sink wrote: one JSON message per line (a line cut by a kill is not a delivery).
  std::map<std::string, std::set<std::string>> messages_by_id;
  std::size_t lines = 0;
  std::ifstream in(delivered);
  for (std::string line; std::getline(in, line);) {
    boost::json::error_code ec;
    const auto message = boost::json::parse(line, ec);
    if (ec) continue;
    ++lines;
    messages_by_id[std::string(message.at("notification_id").as_string())].insert(line);
  }
  ASSERT_FALSE(acknowledged.empty());
  for (const auto& id : acknowledged) {
    EXPECT_TRUE(messages_by_id.contains(id)) << "acknowledged but never delivered: " << id;
  }
  for (const auto& [id, messages] : messages_by_id) {
    EXPECT_EQ(messages.size(), 1U) << "duplicates of " << id << " differ";
  }
  RecordProperty("acknowledged", static_cast<int>(acknowledged.size()));
  RecordProperty("delivered_lines", static_cast<int>(lines));

  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  EXPECT_EQ(count(handle, "SELECT count(*) FROM records WHERE status IS NULL"), 0)
      << "every record has a final status";
  EXPECT_GE(count(handle, "SELECT count(*) FROM records"),
            static_cast<std::int64_t>(acknowledged.size()));
  sqlite3_stmt* check = nullptr;
  sqlite3_prepare_v2(handle, "PRAGMA integrity_check", -1, &check, nullptr);
  ASSERT_EQ(sqlite3_step(check), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(check, 0)), "ok");
  sqlite3_finalize(check);
  sqlite3_close(handle);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace herald
