// A real nats-server with JetStream on a free loopback port, started and stopped by the test:
// its storage directory outlives a stop, so that a restart finds its streams again.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nats/nats.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace herald::testing {

class NatsServer {
 public:
  NatsServer() : port_(free_port()) {
    dir_ = std::filesystem::temp_directory_path() /
           ("herald-nats-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
    std::filesystem::create_directories(dir_);
    start();
  }
  ~NatsServer() {
    stop();
    std::filesystem::remove_all(dir_);
  }
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  [[nodiscard]] std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] bool running() const { return pid_ > 0; }

  void start() {
    if (pid_ > 0) return;
    const std::string port = std::to_string(port_);
    std::vector<std::string> args = {
        "/usr/sbin/nats-server", "-js", "-a", "127.0.0.1", "-p", port, "-sd", dir_.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    // Ready once it accepts connections.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline && !accepts()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
  }
  [[nodiscard]] bool accepts() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port_));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
  }

  int port_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

/// A connection to `url` with a JetStream context, and the stream HERALD on `herald.>` made
/// (or found, on a broker that kept it), for a test to read what arrived.
class HeraldStream {
 public:
  explicit HeraldStream(const std::string& url) {
    if (natsConnection_ConnectTo(&connection_, url.c_str()) != NATS_OK ||
        natsConnection_JetStream(&js_, connection_, nullptr) != NATS_OK) {
      return;
    }
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = "HERALD";
    const char* subjects[] = {"herald.>"};
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    jsStreamInfo* info = nullptr;
    jsErrCode error{};
    const natsStatus s = js_AddStream(&info, js_, &config, nullptr, &error);
    ready_ = s == NATS_OK || error == JSStreamNameExistErr;
    jsStreamInfo_Destroy(info);
  }
  ~HeraldStream() {
    jsCtx_Destroy(js_);
    natsConnection_Destroy(connection_);
  }
  HeraldStream(const HeraldStream&) = delete;
  HeraldStream& operator=(const HeraldStream&) = delete;

  [[nodiscard]] bool ready() const { return ready_; }
  /// Messages the stream holds.
  [[nodiscard]] std::uint64_t messages() {
    jsStreamInfo* info = nullptr;
    jsErrCode error{};
    if (js_ == nullptr || js_GetStreamInfo(&info, js_, "HERALD", nullptr, &error) != NATS_OK)
      return 0;
    const auto count = info->State.Msgs;
    jsStreamInfo_Destroy(info);
    return count;
  }

 private:
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
  bool ready_ = false;
};

}  // namespace herald::testing
