// herald-server as a child process on a free loopback port, for the benchmarks that drive the
// real binary over HTTP (HERALD_SERVER_PATH). Stopped with SIGTERM when it goes.
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

namespace herald::bench {

/// The token every benchmark server accepts, for the project "bench-project".
inline constexpr const char* k_token = "bench-token";

class Server {
 public:
  explicit Server(const std::vector<std::string>& extra = {}) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    std::vector<std::string> args = {HERALD_SERVER_PATH, "--listen", "127.0.0.1:0", "--token",
                                     std::string(k_token) + "=bench-project"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, HERALD_SERVER_PATH, &actions, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start herald-server");
    }
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    std::string line;
    while (line.find('\n') == std::string::npos) {
      pollfd fd{out[0], POLLIN, 0};
      if (poll(&fd, 1, 10'000) <= 0) throw std::runtime_error("herald-server did not start");
      char buffer[256];
      const auto n = read(out[0], buffer, sizeof buffer);
      if (n <= 0) throw std::runtime_error("herald-server exited");
      line.append(buffer, static_cast<std::size_t>(n));
    }
    close(out[0]);
    url_ = line.substr(line.find("http://"));
    url_.erase(url_.find('\n'));
  }
  ~Server() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  [[nodiscard]] const std::string& url() const { return url_; }
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string url_;
};

}  // namespace herald::bench
