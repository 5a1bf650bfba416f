// Several herald-server processes on one PostgreSQL database (docs/scaling.md): durable
// acknowledged triggers/s with 1 and 3 processes, beside the SQLite store's single process as
// the baseline of the same run; and how long a change made through one process takes to be
// served by another (p50, p99), beside a process reading its own change back.
//
// The database is a throwaway cluster this benchmark starts (tests/postgres/cluster.sh, fsync
// on) and stops. Everything shares this machine's two cores: PostgreSQL, the servers and the
// load driver, so 3 processes cannot show more than the cores allow; the figures say what the
// coordination costs, not what three machines would do.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "server_process.hpp"

namespace herald::bench {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
constexpr int k_triggers = 6000;
constexpr int k_clients = 6;

// The cluster, started at first use and stopped at exit.
class Cluster {
 public:
  static Cluster& get() {
    static Cluster cluster;
    return cluster;
  }
  ~Cluster() { (void)std::system((script_ + " stop " + dir_ + " >/dev/null").c_str()); }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // A fresh database: its libpq URI.
  std::string database() {
    const std::string name = "bench_" + std::to_string(++count_);
    sql("DROP DATABASE IF EXISTS " + name);
    sql("CREATE DATABASE " + name);
    return "postgresql://herald@/" + name + "?host=" + dir_ + "&port=54329";
  }

 private:
  Cluster()
      : script_(std::string(HERALD_SOURCE_DIR) + "/tests/postgres/cluster.sh"),
        dir_("/tmp/herald-bench-pg-" + std::to_string(::getpid())) {
    // fsync on: the figures are durable commits.
    if (std::system(("HERALD_PG_FSYNC=on " + script_ + " start " + dir_ + " >/dev/null").c_str()) !=
        0) {
      throw std::runtime_error("cannot start PostgreSQL (tests/postgres/cluster.sh)");
    }
  }
  void sql(const std::string& statement) const {
    PGconn* conn =
        PQconnectdb(("host=" + dir_ + " port=54329 user=herald dbname=postgres").c_str());
    PQclear(PQexec(conn, statement.c_str()));
    PQfinish(conn);
  }
  std::string script_;
  std::string dir_;
  int count_ = 0;
};

// An event for SECRET_ROTATED to an SMN topic without subscribers, and a secret subscribing to
// it: each trigger writes one record and its delivery, durably, before it is answered.
void prepare(const std::string& url) {
  http::Client client(http::parse_endpoint(url).value());
  const Headers headers = {{"X-Auth-Token", k_token}};
  (void)client.request("POST", "/v2/bench-project/notifications/topics", headers,
                       R"({"name":"rotations"})");
  (void)client.request(
      "POST", "/v1/bench-project/csms/events", headers,
      R"({"name":"rotated","event_types":["SECRET_ROTATED"],"state":"ENABLED","notification":{"target_type":"SMN","target_id":"urn:smn:region-1:bench-project:rotations","target_name":"rotations"}})");
  (void)client.request("PUT", "/v1/bench-project/secrets/db", headers,
                       R"({"event_subscriptions":["rotated"]})");
}

// k_triggers triggers from k_clients connections, spread round-robin over the servers.
void trigger_load(benchmark::State& state, const std::vector<std::unique_ptr<Server>>& servers) {
  for (auto _ : state) {
    std::atomic<int> acknowledged{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> clients;
    for (int c = 0; c < k_clients; ++c) {
      clients.emplace_back([&, c] {
        http::Client client(
            http::parse_endpoint(servers[static_cast<std::size_t>(c) % servers.size()]->url())
                .value());
        const Headers headers = {{"X-Auth-Token", k_token}};
        for (int i = 0; i < k_triggers / k_clients; ++i) {
          const auto r = client.request("POST", "/v1/bench-project/csms/lifecycle-events", headers,
                                        R"({"secret_name":"db","event_type":"SECRET_ROTATED"})");
          if (r && r->status == 200) ++acknowledged;
        }
      });
    }
    for (auto& client : clients) client.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(seconds);
    state.counters["acknowledged_per_second"] = acknowledged.load() / seconds;
    state.counters["failed"] = k_triggers - acknowledged.load();
  }
}

void BM_durable_triggers_postgresql(benchmark::State& state) {
  const std::string database = Cluster::get().database();
  std::vector<std::unique_ptr<Server>> servers;
  for (int i = 0; i < state.range(0); ++i) {
    servers.push_back(std::make_unique<Server>(std::vector<std::string>{"--store", database}));
  }
  prepare(servers[0]->url());
  // Every process routes the secret before the clock starts.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  trigger_load(state, servers);
}

// The baseline: the same load on one process with the SQLite store (durable as well).
void BM_durable_triggers_sqlite_baseline(benchmark::State& state) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("herald-scaling-bench-" + std::to_string(::getpid()) + ".db");
  std::vector<std::unique_ptr<Server>> servers;
  servers.push_back(std::make_unique<Server>(std::vector<std::string>{"--store", path.string()}));
  prepare(servers[0]->url());
  trigger_load(state, servers);
  servers.clear();
  for (const char* suffix : {"", "-wal", "-shm", ".lock"}) {
    std::filesystem::remove(path.string() + suffix);
  }
}

// How long an update made through the first process takes to be served by `reader` (the
// second process, or the first itself as the baseline): 200 updates, one at a time.
void propagation(benchmark::State& state, bool other_process) {
  const std::string database = Cluster::get().database();
  Server writer({"--store", database});
  Server other({"--store", database});
  prepare(writer.url());
  http::Client write(http::parse_endpoint(writer.url()).value());
  http::Client read(http::parse_endpoint(other_process ? other.url() : writer.url()).value());
  const Headers headers = {{"X-Auth-Token", k_token}};
  for (auto _ : state) {
    std::vector<double> latencies;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 200; ++i) {
      const std::string state_value = i % 2 == 0 ? "DISABLED" : "ENABLED";
      const auto t0 = std::chrono::steady_clock::now();
      (void)write.request("PUT", "/v1/bench-project/csms/events/rotated", headers,
                          R"({"state":")" + state_value + R"("})");
      for (;;) {
        const auto r = read.request("GET", "/v1/bench-project/csms/events/rotated", headers);
        if (r && r->body.find(state_value) != std::string::npos) break;
      }
      latencies.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    std::sort(latencies.begin(), latencies.end());
    state.counters["p50_ms"] = latencies[latencies.size() / 2];
    state.counters["p99_ms"] = latencies[latencies.size() * 99 / 100];
  }
}

void BM_change_seen_by_another_process(benchmark::State& state) { propagation(state, true); }
void BM_change_seen_by_its_own_process_baseline(benchmark::State& state) {
  propagation(state, false);
}

BENCHMARK(BM_durable_triggers_sqlite_baseline)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);
BENCHMARK(BM_durable_triggers_postgresql)
    ->ArgName("processes")
    ->Arg(1)
    ->Arg(3)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);
BENCHMARK(BM_change_seen_by_its_own_process_baseline)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_change_seen_by_another_process)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace herald::bench

BENCHMARK_MAIN();
