// HTTP: herald-server on loopback under a small keep-alive load driver (the Beast client the
// CLI uses). Each benchmark sends a bounded number of requests over two connections, one
// thread each, and reports requests/s and the p50/p99 latency as counters.
//
// The server is the real binary, started as a child process on a free port. Client and server
// share this machine's two cores, so the figures are a floor for what a separate client sees.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"

extern char** environ;

namespace herald::bench {
namespace {

constexpr int k_connections = 2;
constexpr int k_requests_per_connection = 20'000;
constexpr const char* k_token = "bench-token";

class Server {
 public:
  Server() {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    std::vector<std::string> args = {HERALD_SERVER_PATH, "--listen", "127.0.0.1:0", "--token",
                                     std::string(k_token) + "=bench-project"};
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

 private:
  pid_t pid_ = -1;
  std::string url_;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Runs the load and sets the counters. `prepare` runs once before the clock starts.
template <typename Prepare>
void load(benchmark::State& state, std::string_view method, std::string_view target,
          std::string_view body, Prepare prepare) {
  Server server;
  const auto endpoint = http::parse_endpoint(server.url()).value();
  const Headers headers = {{"X-Auth-Token", k_token}};
  {
    http::Client setup(endpoint);
    prepare(setup, headers);
  }
  for (auto _ : state) {
    std::vector<std::vector<double>> latencies(k_connections);
    std::vector<int> failures(k_connections, 0);
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < k_connections; ++c) {
      threads.emplace_back([&, c] {
        http::Client client(endpoint);
        latencies[c].reserve(k_requests_per_connection);
        for (int i = 0; i < k_requests_per_connection; ++i) {
          const auto t0 = std::chrono::steady_clock::now();
          const auto response = client.request(method, target, headers, body);
          const auto t1 = std::chrono::steady_clock::now();
          if (!response || response->status >= 400) ++failures[c];
          latencies[c].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        }
      });
    }
    for (auto& thread : threads) thread.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<double> all;
    for (const auto& per : latencies) all.insert(all.end(), per.begin(), per.end());
    std::sort(all.begin(), all.end());
    state.SetIterationTime(seconds);
    state.counters["requests_per_second"] = static_cast<double>(all.size()) / seconds;
    state.counters["p50_us"] = all[all.size() / 2];
    state.counters["p99_us"] = all[all.size() * 99 / 100];
    int failed = 0;
    for (const int f : failures) failed += f;
    state.counters["failed"] = failed;
  }
}

void BM_http_get_event(benchmark::State& state) {
  load(state, "GET", "/v1/bench-project/csms/events/demo-event", "",
       [](http::Client& client, const Headers& headers) {
         (void)client.request(
             "POST", "/v1/bench-project/csms/events", headers,
             R"({"name":"demo-event","event_types":["SECRET_ROTATED"],)"
             R"("state":"ENABLED","notification":{"target_type":"SMN",)"
             R"("target_id":"urn:smn:region-1:bench-project:t","target_name":"t"}})");
       });
}

void BM_http_post_lifecycle_event(benchmark::State& state) {
  load(state, "POST", "/v1/bench-project/csms/lifecycle-events",
       R"({"secret_name":"db-password","event_type":"SECRET_ROTATED"})",
       [](http::Client& client, const Headers& headers) {
         (void)client.request("POST", "/v2/bench-project/notifications/topics", headers,
                              R"({"name":"t"})");
         (void)client.request(
             "POST", "/v1/bench-project/csms/events", headers,
             R"({"name":"demo-event","event_types":["SECRET_ROTATED"],)"
             R"("state":"ENABLED","notification":{"target_type":"SMN",)"
             R"("target_id":"urn:smn:region-1:bench-project:t","target_name":"t"}})");
         (void)client.request("PUT", "/v1/bench-project/secrets/db-password", headers,
                              R"({"event_subscriptions":["demo-event"]})");
       });
}

BENCHMARK(BM_http_get_event)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_http_post_lifecycle_event)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace herald::bench

BENCHMARK_MAIN();
