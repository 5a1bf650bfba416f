// A plain TCP connection to a loopback port, for what an HTTP client library will not send:
// malformed framing, trailers, pipelining, half-sent requests.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::testing {

class RawSocket {
 public:
  explicit RawSocket(int port) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~RawSocket() {
    if (fd_ >= 0) close(fd_);
  }
  RawSocket(RawSocket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  RawSocket& operator=(RawSocket&&) = delete;

  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  [[nodiscard]] int fd() const { return fd_; }

  /// Sends all of `data`; false when the peer is gone.
  bool send(std::string_view data) const {
    while (!data.empty()) {
      const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// What arrives within `limit`, with "<closed>" appended when the server closed the
  /// connection (or reset it) in that time.
  [[nodiscard]] std::string read_all(std::chrono::milliseconds limit) const {
    std::string data;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (poll(&p, 1, static_cast<int>(std::max<long>(left.count(), 1))) <= 0) break;
      char buffer[4096];
      const auto n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return data + "<closed>";
      data.append(buffer, static_cast<std::size_t>(n));
    }
    return data;
  }

  /// Reads until `marker` has arrived `count` times, the connection closes, or `limit` passes.
  [[nodiscard]] std::string read_until(std::string_view marker, std::size_t count,
                                       std::chrono::milliseconds limit) const {
    std::string data;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    const auto seen = [&] {
      std::size_t found = 0;
      for (auto at = data.find(marker); at != std::string::npos; at = data.find(marker, at + 1)) {
        ++found;
      }
      return found;
    };
    while (seen() < count && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buffer[4096];
      const auto n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return data + "<closed>";
      data.append(buffer, static_cast<std::size_t>(n));
    }
    return data;
  }

 private:
  int fd_;
};

}  // namespace herald::testing
