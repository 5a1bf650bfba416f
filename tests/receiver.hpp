// A real HTTP receiver on a loopback port, for push tests: it accepts connections on a thread of
// its own, reads each request (headers and a Content-Length body), records it, and answers
// what the test scripted (status, extra headers), or nothing at all (a receiver that hangs).
// One request per connection (it answers with Connection: close).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace herald::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  [[nodiscard]] std::string header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return {};
  }
};

struct ScriptedAnswer {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  bool hang = false;  // read the request, never answer (until the receiver stops)
};

class Receiver {
 public:
  Receiver() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(fd_, 64);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~Receiver() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    for (auto& t : hanging_) t.join();
    ::close(fd_);
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url(std::string_view path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  /// Answers for the next requests, in order; once used up, 200.
  void script(std::vector<ScriptedAnswer> answers) {
    std::lock_guard lock(mutex_);
    for (auto& a : answers) script_.push_back(std::move(a));
  }
  [[nodiscard]] std::vector<ReceivedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void run() {
    while (!stopping_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      serve(client);
    }
  }

  void serve(int client) {
    std::string data;
    char buffer[4096];
    std::size_t header_end = std::string::npos;
    std::size_t content_length = 0;
    ReceivedRequest request;
    while (true) {
      pollfd p{client, POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) break;
      const auto n = ::recv(client, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      data.append(buffer, static_cast<std::size_t>(n));
      if (header_end == std::string::npos && (header_end = data.find("\r\n\r\n")) != data.npos) {
        parse_head(data.substr(0, header_end), request);
        const auto length = request.header("content-length");
        content_length = length.empty() ? 0 : std::stoul(length);
      }
      if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
    }
    if (header_end != std::string::npos) {
      request.body = data.substr(header_end + 4, content_length);
    }
    ScriptedAnswer answer;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
      if (!script_.empty()) {
        answer = std::move(script_.front());
        script_.pop_front();
      }
    }
    if (answer.hang) {
      // Held open until the receiver stops; another thread keeps accepting meanwhile.
      hanging_.emplace_back([this, client] {
        while (!stopping_) ::usleep(10'000);
        ::close(client);
      });
      return;
    }
    std::string response = "HTTP/1.1 " + std::to_string(answer.status) + " Scripted\r\n";
    for (const auto& [name, value] : answer.headers) response += name + ": " + value + "\r\n";
    response += "Content-Length: 0\r\nConnection: close\r\n\r\n";
    (void)::send(client, response.data(), response.size(), MSG_NOSIGNAL);
    ::close(client);
  }

  static void parse_head(const std::string& head, ReceivedRequest& request) {
    std::size_t at = head.find("\r\n");
    const std::string line = head.substr(0, at);
    const auto space = line.find(' ');
    request.method = line.substr(0, space);
    request.target = line.substr(space + 1, line.rfind(' ') - space - 1);
    while (at != std::string::npos && at + 2 < head.size()) {
      const auto next = head.find("\r\n", at + 2);
      const std::string field = head.substr(at + 2, next == head.npos ? head.npos : next - at - 2);
      const auto colon = field.find(':');
      if (colon != std::string::npos) {
        std::string name = field.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = field.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        request.headers.emplace_back(std::move(name), std::move(value));
      }
      at = next;
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::deque<ScriptedAnswer> script_;
  std::vector<ReceivedRequest> requests_;
  std::vector<std::thread> hanging_;
  std::thread thread_;
};

}  // namespace herald::testing
