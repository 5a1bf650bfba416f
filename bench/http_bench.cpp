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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "server_process.hpp"

extern char** environ;

namespace herald::bench {
namespace {

constexpr int k_connections = 2;
constexpr int k_requests_per_connection = 20'000;

using Headers = std::vector<std::pair<std::string, std::string>>;

// Runs the load and sets the counters. `prepare` runs once before the clock starts.
template <typename Prepare>
void load(benchmark::State& state, std::string_view method, std::string_view target,
          std::string_view body, Prepare prepare,
          const std::vector<std::string>& server_args = {}) {
  Server server(server_args);
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

// The request log on (the default: one line per request to stderr) and, as its baseline in the
// same run, off. The bench's stderr is where the lines go: run it with 2>/dev/null.
void get_event(benchmark::State& state, const std::vector<std::string>& server_args) {
  load(
      state, "GET", "/v1/bench-project/csms/events/demo-event", "",
      [](http::Client& client, const Headers& headers) {
        (void)client.request(
            "POST", "/v1/bench-project/csms/events", headers,
            R"({"name":"demo-event","event_types":["SECRET_ROTATED"],)"
            R"("state":"ENABLED","notification":{"target_type":"SMN",)"
            R"("target_id":"urn:smn:region-1:bench-project:t","target_name":"t"}})");
      },
      server_args);
}
void BM_http_get_event(benchmark::State& state) { get_event(state, {}); }
void BM_http_get_event_log_off(benchmark::State& state) {
  get_event(state, {"--log-level", "off"});
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

// Resident memory of process `pid`, in MB.
double rss_mb(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  std::size_t size = 0;
  std::size_t resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1e6;
}

// herald-server with --store under 300 000 lifecycle triggers, pipelined 100 at a time on one
// connection (each matches an event: one durable record each). Counters: the server's RSS after
// 50 000 (warm) and at the end, triggers/s, and the answers that were not 200 (a full delivery
// queue answers 503).
void BM_http_store_soak(benchmark::State& state) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("herald-http-soak-" + std::to_string(::getpid()) + ".db");
  const auto remove_store = [&] {
    for (const auto* suffix : {"", "-wal", "-shm", ".lock"}) {
      std::filesystem::remove(path.string() + suffix);
    }
  };
  remove_store();
  constexpr int k_total = 300'000;
  constexpr int k_batch = 100;
  double rss_warm = 0;
  double rss_end = 0;
  int not_ok = 0;
  {
    Server server({"--store", path.string()});
    const auto endpoint = http::parse_endpoint(server.url()).value();
    {
      http::Client setup(endpoint);
      const Headers headers = {{"X-Auth-Token", k_token}};
      (void)setup.request("POST", "/v2/bench-project/notifications/topics", headers,
                          R"({"name":"t"})");
      (void)setup.request("POST", "/v1/bench-project/csms/events", headers,
                          R"({"name":"demo-event","event_types":["SECRET_ROTATED"],)"
                          R"("state":"ENABLED","notification":{"target_type":"SMN",)"
                          R"("target_id":"urn:smn:region-1:bench-project:t","target_name":"t"}})");
      (void)setup.request("PUT", "/v1/bench-project/secrets/db-password", headers,
                          R"({"event_subscriptions":["demo-event"]})");
    }
    const std::string body = R"({"secret_name":"db-password","event_type":"SECRET_ROTATED"})";
    const std::string one =
        "POST /v1/bench-project/csms/lifecycle-events HTTP/1.1\r\nHost: b\r\n"
        "X-Auth-Token: " +
        std::string(k_token) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    std::string batch;
    for (int i = 0; i < k_batch; ++i) batch += one;
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(std::stoi(endpoint.port)));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      state.SkipWithError("cannot connect");
      return;
    }
    const auto started = std::chrono::steady_clock::now();
    for (auto _ : state) {
      std::string in;
      for (int sent = 0; sent < k_total; sent += k_batch) {
        for (std::size_t off = 0; off < batch.size();) {
          const auto n = ::send(fd, batch.data() + off, batch.size() - off, MSG_NOSIGNAL);
          if (n <= 0) {
            state.SkipWithError("send failed");
            close(fd);
            return;
          }
          off += static_cast<std::size_t>(n);
        }
        // Read the batch's answers: each starts with "HTTP/1.1 " and ends with its JSON body.
        int answered = 0;
        while (answered < k_batch) {
          char buffer[65536];
          const auto n = ::recv(fd, buffer, sizeof buffer, 0);
          if (n <= 0) {
            state.SkipWithError("the server closed the connection");
            close(fd);
            return;
          }
          in.append(buffer, static_cast<std::size_t>(n));
          for (auto at = in.find("HTTP/1.1 "); at != std::string::npos; at = in.find("HTTP/1.1 ")) {
            const auto header_end = in.find("\r\n\r\n", at);
            const auto length_at = in.find("Content-Length: ", at);
            if (header_end == std::string::npos || length_at == std::string::npos) break;
            const auto length = std::stoul(in.substr(length_at + 16));
            if (in.size() < header_end + 4 + length) break;
            if (in.compare(at + 9, 3, "200") != 0) ++not_ok;
            in.erase(0, header_end + 4 + length);
            ++answered;
          }
        }
        if (sent + k_batch == 50'000) rss_warm = rss_mb(server.pid());
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    state.SetIterationTime(seconds);
    rss_end = rss_mb(server.pid());
    close(fd);
    state.counters["triggers_per_s"] = k_total / seconds;
  }
  remove_store();
  state.counters["server_rss_mb_at_50k"] = rss_warm;
  state.counters["server_rss_mb_at_300k"] = rss_end;
  state.counters["server_rss_growth_mb"] = rss_end - rss_warm;
  state.counters["not_200"] = not_ok;
}

BENCHMARK(BM_http_store_soak)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_http_get_event)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_http_get_event_log_off)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_http_post_lifecycle_event)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace herald::bench

BENCHMARK_MAIN();
