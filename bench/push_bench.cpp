// SMN pushes to a real receiver on loopback: how many a second, with 1 and with 100 confirmed
// subscriptions per topic, through the public API as a host uses it (SmnTopics::start_pushing,
// publish through the engine). Baseline in the same binary: the same POSTs made directly with
// libcurl, one after another, to the same receiver (what one HTTP request costs here).
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "herald/herald.hpp"

namespace herald::bench {
namespace {

// A receiver that answers every request 200 and counts them: threads enough to keep up.
class CountingReceiver {
 public:
  explicit CountingReceiver(int threads = 8) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(fd_, 1024);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
  }
  ~CountingReceiver() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    for (auto& t : threads_) t.join();
    ::close(fd_);
  }
  [[nodiscard]] std::string url(int path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/hook/" + std::to_string(path);
  }
  [[nodiscard]] std::uint64_t count() const { return count_.load(); }

 private:
  void run() {
    while (!stopping_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      std::string data;
      char buffer[8192];
      std::size_t need = std::string::npos;
      while (true) {
        const auto n = ::recv(client, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        data.append(buffer, static_cast<std::size_t>(n));
        const auto end = data.find("\r\n\r\n");
        if (end != std::string::npos && need == std::string::npos) {
          const auto at = data.find("Content-Length: ");
          const auto length = at == std::string::npos ? 0 : std::stoul(data.substr(at + 16));
          need = end + 4 + length;
        }
        if (need != std::string::npos && data.size() >= need) break;
      }
      static constexpr std::string_view k_ok =
          "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)::send(client, k_ok.data(), k_ok.size(), MSG_NOSIGNAL);
      ::close(client);
      count_.fetch_add(1);
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> count_{0};
  std::vector<std::thread> threads_;
};

constexpr std::string_view k_project = "bench-project";

// args: subscriptions per topic. Each iteration publishes one notification (one trigger) and
// the benchmark waits at the end for every push to arrive: items = pushes.
void BM_push(benchmark::State& state) {
  const auto subscriptions = static_cast<int>(state.range(0));
  CountingReceiver receiver;
  SmnOptions smn_options;
  smn_options.allow_private_endpoints = true;
  smn_options.auto_confirm = true;
  auto topics = std::make_shared<SmnTopics>("region-1", smn_options);
  SmnPushOptions push;
  push.max_queued_pushes = 10'000'000;
  if (!topics->start_pushing(push).ok()) {
    state.SkipWithError("start_pushing failed");
    return;
  }
  const auto urn = topics->create_topic(k_project, "t")->topic.topic_urn;
  for (int i = 0; i < subscriptions; ++i) {
    (void)topics->add_subscription(k_project, urn, "http", receiver.url(i)).value();
  }
  Options options;
  options.max_secrets_per_project = k_unlimited;
  Engine engine(options);
  const ScopedConnection sink = engine.connect_sink("SMN", smn_sink(topics));
  (void)engine.create_event(
      k_project, {"e", {EventType::secret_rotated}, EventState::enabled, {"SMN", urn, "t"}});
  (void)engine.set_subscriptions(k_project, "db", std::vector<std::string>{"e"});
  const auto started = std::chrono::steady_clock::now();
  std::uint64_t expected = 0;
  for (auto _ : state) {
    auto report = engine.trigger(k_project, {"db", EventType::secret_rotated});
    if (!report || report->notifications.at(0).notification_status != NotificationStatus::success) {
      state.SkipWithError("trigger failed");
      break;
    }
    expected += static_cast<std::uint64_t>(subscriptions);
  }
  while (receiver.count() < expected &&
         std::chrono::steady_clock::now() - started < std::chrono::seconds(120)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  state.counters["pushes_per_second"] = static_cast<double>(receiver.count()) / seconds;
  state.counters["us_per_push"] =
      seconds * 1e6 / static_cast<double>(std::max<std::uint64_t>(receiver.count(), 1));
  state.counters["delivered"] = static_cast<double>(receiver.count());
}

// The floor: one POST at a time with libcurl, a new connection each (as herald's pushes).
void BM_baseline_curl_post(benchmark::State& state) {
  CountingReceiver receiver;
  const std::string url = receiver.url(0);
  const std::string body(600, 'x');
  const auto started = std::chrono::steady_clock::now();
  for (auto _ : state) {
    CURL* curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(
        curl, CURLOPT_WRITEFUNCTION,
        +[](char*, std::size_t s, std::size_t n, void*) { return s * n; });
    curl_easy_perform(curl);
    curl_easy_cleanup(curl);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  state.counters["pushes_per_second"] = static_cast<double>(receiver.count()) / seconds;
  state.counters["us_per_push"] =
      seconds * 1e6 / static_cast<double>(std::max<std::uint64_t>(receiver.count(), 1));
}

BENCHMARK(BM_baseline_curl_post)->Iterations(2000)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_push)
    ->ArgName("subscriptions")
    ->Arg(1)
    ->Iterations(4000)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_push)
    ->ArgName("subscriptions")
    ->Arg(100)
    ->Iterations(40)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace herald::bench

BENCHMARK_MAIN();
