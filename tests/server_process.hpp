// Starts herald-server as a child process on a free loopback port, for end-to-end tests.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace herald::testing {

struct SpawnOptions {
  /// When set, the server runs under `ulimit -n` of this many descriptors (soft and hard).
  int max_descriptors = 0;
};

class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> args, SpawnOptions options = {}) {
    spawn(std::move(args), options);
    // A server that does not start is not left running: the destructor does not run when the
    // constructor throws.
    const auto give_up = [this](const std::string& why) {
      const std::string text = why + stderr_text();
      kill(pid_, SIGKILL);
      (void)wait();
      close(stdout_);
      stdout_ = -1;
      std::error_code ignored;
      std::filesystem::remove(stderr_path_, ignored);
      return std::runtime_error(text);
    };
    // The first line is "listening on http://127.0.0.1:PORT" (bounded wait for a broken build).
    std::string line;
    while (line.find('\n') == std::string::npos) {
      pollfd fd{stdout_, POLLIN, 0};
      if (poll(&fd, 1, 10'000) <= 0) throw give_up("herald-server did not start: ");
      char buffer[256];
      const auto n = read(stdout_, buffer, sizeof buffer);
      if (n <= 0) throw give_up("herald-server exited: " + line);
      line.append(buffer, static_cast<std::size_t>(n));
    }
    // "listening on http://127.0.0.1:PORT", or https with TLS.
    for (const std::string scheme : {"http", "https"}) {
      const std::string prefix = "listening on " + scheme + "://127.0.0.1:";
      if (line.rfind(prefix, 0) == 0) {
        scheme_ = scheme;
        port_ = std::stoi(line.substr(prefix.size()));
      }
    }
    if (port_ == 0) throw give_up("unexpected first line: " + line);
  }

  ~ServerProcess() {
    if (pid_ > 0) (void)stop();
    if (stdout_ >= 0) close(stdout_);
    // Whatever the test did, the server's log holds no credential, signature or request body
    // (contract §7): every e2e test's servers are scanned for the secrets the tests use.
    const std::string log = stderr_text();
    for (const char* secret :
         {"token-of-project-a", "token-of-project-b", "file-token", "e2e-secret-key",
          "other-secret-key", "file-sk-", "Signature=", "SDK-HMAC-SHA256", "\"event_types\""}) {
      if (log.find(secret) != std::string::npos) {
        ADD_FAILURE() << "herald-server logged " << secret << ":\n" << log.substr(0, 4000);
      }
    }
    std::error_code ignored;
    std::filesystem::remove(stderr_path_, ignored);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] std::string url() const {
    return scheme_ + "://127.0.0.1:" + std::to_string(port_);
  }

  /// What the server wrote to stderr so far.
  [[nodiscard]] std::string stderr_text() const {
    std::ifstream in(stderr_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  /// Sends `signal` without waiting.
  void signal(int signal) const { kill(pid_, signal); }

  /// SIGTERM, then waits: the exit status (or 128 + signal when it died of one).
  int stop() {
    kill(pid_, SIGTERM);
    return wait();
  }
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  /// Runs a server that is expected to refuse to start: its exit status and stderr. A server
  /// that starts listening instead is stopped, and answers -1.
  static std::pair<int, std::string> run_to_exit(std::vector<std::string> args) {
    ServerProcess process(NoWait{});
    process.spawn(std::move(args), {});
    std::string out;
    for (;;) {
      pollfd fd{process.stdout_, POLLIN, 0};
      if (poll(&fd, 1, 10'000) <= 0) break;
      char buffer[256];
      const auto n = read(process.stdout_, buffer, sizeof buffer);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
      if (out.find("listening on") != std::string::npos) {
        (void)process.stop();
        return {-1, out};
      }
    }
    const int status = process.wait();
    return {status, process.stderr_text()};
  }

 private:
  struct NoWait {};
  explicit ServerProcess(NoWait) {}

  void spawn(std::vector<std::string> args, SpawnOptions options) {
    static int count = 0;
    stderr_path_ =
        std::filesystem::temp_directory_path() /
        ("herald-server-stderr-" + std::to_string(getpid()) + "-" + std::to_string(++count));
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    args.insert(args.begin(), {HERALD_SERVER_PATH, "--listen", "127.0.0.1:0"});
    if (options.max_descriptors > 0) {
      // sh sets the limit, then becomes the server ("$0" is the server, "$@" its arguments).
      args.insert(args.begin(), {"/bin/sh", "-c",
                                 "ulimit -n " + std::to_string(options.max_descriptors) +
                                     " && exec \"$0\" \"$@\""});
    }
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    stdout_ = out[0];
    if (spawned != 0) throw std::runtime_error(std::string("cannot start ") + argv[0]);
  }

  pid_t pid_ = -1;
  int stdout_ = -1;
  int port_ = 0;
  std::string scheme_ = "http";
  std::filesystem::path stderr_path_;
};

}  // namespace herald::testing
