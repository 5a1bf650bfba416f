// Starts herald-server as a child process on a free loopback port, for end-to-end tests.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace herald::testing {

class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> args) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    args.insert(args.begin(), {HERALD_SERVER_PATH, "--listen", "127.0.0.1:0"});
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int spawned =
        posix_spawn(&pid_, HERALD_SERVER_PATH, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    stdout_ = out[0];
    if (spawned != 0) throw std::runtime_error("cannot start " HERALD_SERVER_PATH);

    // The first line is "listening on http://127.0.0.1:PORT" (bounded wait for a broken build).
    std::string line;
    while (line.find('\n') == std::string::npos) {
      pollfd fd{stdout_, POLLIN, 0};
      if (poll(&fd, 1, 10'000) <= 0) throw std::runtime_error("herald-server did not start");
      char buffer[256];
      const auto n = read(stdout_, buffer, sizeof buffer);
      if (n <= 0) throw std::runtime_error("herald-server exited: " + line);
      line.append(buffer, static_cast<std::size_t>(n));
    }
    const std::string prefix = "listening on http://127.0.0.1:";
    if (line.rfind(prefix, 0) != 0) throw std::runtime_error("unexpected first line: " + line);
    port_ = std::stoi(line.substr(prefix.size()));
  }

  ~ServerProcess() {
    if (pid_ > 0) (void)stop();
    if (stdout_ >= 0) close(stdout_);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

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

 private:
  pid_t pid_ = -1;
  int stdout_ = -1;
  int port_ = 0;
};

}  // namespace herald::testing
