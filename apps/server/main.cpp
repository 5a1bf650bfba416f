// herald-server: the CSMS REST facade over HTTP/1.1 (Boost.Beast), keep-alive, with header and
// idle timeouts, a 1 MiB body limit, the expiry scheduler, and a clean stop on SIGINT/SIGTERM:
// the listener closes, idle connections close, requests in flight finish, exit status 0.
#include <sys/resource.h>
#include <sys/stat.h>

#include <fmt/format.h>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "herald/herald.hpp"
#include "herald/rest.hpp"
#include "request_reader.hpp"
#include "server_config.hpp"
#include "server_log.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view k_usage = R"(usage: herald-server [options]

Serves the CSMS "secret events" REST API (and herald's extensions) on HTTP/1.1.

options:
  --listen HOST:PORT       address to listen on (default 127.0.0.1:8080; port 0 picks a free
                           port). Prints "listening on http://HOST:PORT" (https with TLS) once
                           listening.
  --token TOKEN=PROJECT    accept X-Auth-Token TOKEN for project PROJECT (repeatable)
  --credential AK:SK=PROJECT
                           accept requests signed with access key AK and secret key SK
                           (SDK-HMAC-SHA256, as the official SDKs sign) for project PROJECT
                           (repeatable). Without any token or credential every request
                           answers 401
  --auth-file PATH         tokens and credentials from a JSON file, so that no secret is on the
                           command line: {"tokens": [{"token", "project_id"}], "credentials":
                           [{"ak", "sk", "project_id"}]}. Re-read on SIGHUP (a bad file keeps
                           the credentials in force); a warning if others may read it
  --tls-cert PEM           serve HTTPS with this certificate chain (needs --tls-key); TLS 1.2
                           or later, no compression
  --tls-key PEM            the certificate's private key
  --region NAME            region of the built-in SMN topics' URNs (default region-1)
  --header-timeout-ms N    time a new connection has to send a complete request header
                           (default 10000)
  --idle-timeout-ms N      time a kept-alive connection may wait for its next request
                           (default 30000)
  --threads N              I/O threads (default 2)
  --store PATH|CONNINFO    keep events, subscriptions, expiry timers, records, pending deliveries
                           and SMN topics in the SQLite file PATH (created if missing), or in the
                           PostgreSQL database CONNINFO names (postgresql://..., postgres://...
                           or host=... dbname=...; libpq's PG* variables and .pgpass apply), so
                           that a restart finds them and delivers what a crash interrupted;
                           deliveries are then asynchronous (lifecycle events answer PENDING).
                           Without it, everything lives in memory only. Any number of processes
                           may share one PostgreSQL database (docs/scaling.md)
  --store-lease-ms N       PostgreSQL: how long this process's claim on its deliveries, pushes
                           and timers lasts unrenewed; the others take them over once it has run
                           out (default 10000, at least 100)
  --public-url URL         base of the URLs handed to SMN subscribers (subscribe_url,
                           unsubscribe_url, signing_cert_url); default http://HOST:PORT of the
                           listen address (127.0.0.1 for a wildcard one)
  --smn-auto-confirm       confirm new SMN subscriptions at once, without a confirmation
                           message (development)
  --allow-private-endpoints
                           accept SMN subscription endpoints on loopback, private, link-local
                           and other non-public addresses (tests, closed networks)
  --smn-signing-key PATH   sign SMN pushes with this PEM RSA private key (PKCS#1 or PKCS#8, at
                           least 2048 bits); default: a key made at first start and kept in the
                           store (or in memory without --store)
  --push-retries N         SMN pushes and asynchronous deliveries: retries after the first try
                           (default 6)
  --push-backoff-ms N      the first retry waits up to N ms, doubling each time (default 1000)
  --push-backoff-max-ms N  the cap of that wait (default 60000)
  --push-timeout-ms N      one push attempt's limit (default 5000)
  --nats URL               publish notifications of target_type NATS to NATS JetStream at URL
                           (e.g. nats://127.0.0.1:4222); without it, NATS events are INVALID
  --log-format text|json   stderr lines as logfmt text (default) or one JSON object each
  --log-level LEVEL        debug, info (default: one line per request, one per failure), warn,
                           error or off. /healthz and /readyz requests are logged at debug
  --config FILE            every flag above from a TOML file, under its name without the
                           dashes (listen = "127.0.0.1:8080", token = ["TOKEN=PROJECT"],
                           smn-auto-confirm = true); the command line wins
  --version                prints "herald-server X.Y.Z"
  --help                   this text

SIGINT or SIGTERM stop the server: requests in flight finish, then it exits with status 0.
SIGHUP re-reads --auth-file. GET /healthz answers 200 while the server serves; GET /readyz
200 when the store can be written, else 503 (both without credentials).
)";

struct Config {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  herald::Credentials credentials;  // from the command line
  std::string auth_file;
  std::string tls_cert;
  std::string tls_key;
  std::string region = "region-1";
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};
  int threads = 2;
  std::string store;
  std::string public_url;
  bool smn_auto_confirm = false;
  bool allow_private_endpoints = false;
  std::string smn_signing_key;
  std::string nats;
  herald::RetryPolicy retry;
  std::chrono::milliseconds push_timeout{5000};
  std::chrono::milliseconds lease{10'000};
  herald::server::LogFormat log_format = herald::server::LogFormat::text;
  std::string log_level = "info";
};

using herald::LogLevel;
using herald::server::LogField;
using herald::server::ServerLog;

// Where the argument being read came from, for usage_error (empty: the command line).
thread_local std::string g_origin;

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "herald-server: " << (g_origin.empty() ? "" : g_origin + ": ") << message
            << "\n(see herald-server --help)\n";
  std::exit(2);
}

// A duration flag: a whole number of milliseconds from 1.
std::chrono::milliseconds parse_millis(std::string_view text, std::string_view flag);

template <typename Number>
Number parse_number(std::string_view text, std::string_view flag) {
  Number value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    usage_error(std::string(flag) + ": not a number: " + std::string(text));
  }
  return value;
}

// Several processes on one database decide for each other: they must run with the same quotas,
// region and retention (contract §8). The first to start records its own; a process whose
// differ refuses to start, naming the first that differs.
herald::Result<void> agree_with_the_others(herald::Store& store, const herald::Options& options,
                                           const std::string& region) {
  if (!store.shared()) return {};
  const std::vector<std::pair<std::string, std::string>> mine = {
      {"region", region},
      {"max_events_per_project", std::to_string(options.max_events_per_project)},
      {"max_events_per_secret", std::to_string(options.max_events_per_secret)},
      {"max_secrets_per_project", std::to_string(options.max_secrets_per_project)},
      {"max_expiry_timers_per_secret", std::to_string(options.max_expiry_timers_per_secret)},
      {"record_retention_ms", std::to_string(options.record_retention.count())},
  };
  auto snapshot = store.load();
  if (!snapshot) return snapshot.error();
  for (const auto& [name, value] : mine) {
    const std::string key = "herald.shared." + name;
    const auto found = snapshot->settings.find(key);
    if (found == snapshot->settings.end()) {
      if (auto r = store.put_setting(key, value); !r) return r;
    } else if (found->second != value) {
      return herald::Error{
          herald::ErrorCode::unavailable,
          fmt::format("store: this process runs with {} {}, the processes of this database with "
                      "{}: every process on one database needs the same",
                      name, value, found->second)};
    }
  }
  return {};
}

// The flags a config file may hold (contract §7): every flag but --config, --help, --version.
const std::vector<std::string> k_value_flags = {
    "listen",          "token",        "credential",      "auth-file",
    "tls-cert",        "tls-key",      "region",          "header-timeout-ms",
    "idle-timeout-ms", "threads",      "store",           "public-url",
    "smn-signing-key", "push-retries", "push-backoff-ms", "push-backoff-max-ms",
    "push-timeout-ms", "nats",         "log-format",      "log-level",
    "store-lease-ms"};
const std::vector<std::string> k_switches = {"smn-auto-confirm", "allow-private-endpoints"};

// The command line, after the arguments of --config FILE when it is given. A repeatable flag
// (--token, --credential) given on the command line replaces the file's list.
std::vector<herald::server::Argument> all_arguments(int argc, char** argv) {
  std::vector<herald::server::Argument> command_line;
  std::string file;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--config") {
      if (i + 1 >= argc) usage_error("--config needs a value");
      file = argv[++i];
    } else {
      command_line.push_back({argv[i], ""});
    }
  }
  if (file.empty()) return command_line;
  auto from_file = herald::server::config_arguments(file, k_value_flags, k_switches);
  if (!from_file) usage_error(from_file.error().message());
  std::vector<herald::server::Argument> all;
  for (std::size_t i = 0; i < from_file->size(); ++i) {
    const auto& argument = (*from_file)[i];
    const bool replaced =
        (argument.text == "--token" || argument.text == "--credential") &&
        std::any_of(command_line.begin(), command_line.end(),
                    [&](const auto& given) { return given.text == argument.text; });
    if (replaced) {
      ++i;  // and its value
      continue;
    }
    all.push_back(argument);
  }
  all.insert(all.end(), command_line.begin(), command_line.end());
  // A file that holds secrets should be the owner's alone (as the auth file).
  struct stat status {};
  const bool secrets = std::any_of(all.begin(), all.end(), [](const auto& a) {
    return !a.origin.empty() && (a.text == "--token" || a.text == "--credential");
  });
  if (secrets && stat(file.c_str(), &status) == 0 && (status.st_mode & S_IROTH) != 0) {
    std::cerr << "herald-server: warning: " << file
              << " holds tokens or credentials and is readable by other users (chmod o-r it)\n";
  }
  return all;
}

std::chrono::milliseconds parse_millis(std::string_view text, std::string_view flag) {
  const auto value = parse_number<long>(text, flag);
  if (value < 1) {
    usage_error(std::string(flag) + ": must be a whole number of milliseconds from 1, not " +
                std::string(text));
  }
  return std::chrono::milliseconds(value);
}

Config parse_args(int argc, char** argv) {
  Config config;
  const auto arguments = all_arguments(argc, argv);
  std::vector<std::string_view> args;
  for (const auto& argument : arguments) args.emplace_back(argument.text);
  for (std::size_t i = 0; i < args.size(); ++i) {
    g_origin = arguments[i].origin;
    const std::string_view flag = args[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << k_usage;
      std::exit(0);
    }
    if (flag == "--version") {
      std::cout << "herald-server " << herald::k_version << "\n";
      std::exit(0);
    }
    if (flag == "--smn-auto-confirm") {
      config.smn_auto_confirm = true;
      continue;
    }
    if (flag == "--allow-private-endpoints") {
      config.allow_private_endpoints = true;
      continue;
    }
    if (i + 1 >= args.size()) usage_error(std::string(flag) + " needs a value");
    const std::string_view value = args[++i];
    if (flag == "--listen") {
      const auto colon = value.rfind(':');
      if (colon == std::string_view::npos || colon == 0) usage_error("--listen takes HOST:PORT");
      config.host = std::string(value.substr(0, colon));
      boost::system::error_code ec;
      (void)asio::ip::make_address(config.host, ec);
      if (ec) usage_error("--listen: not an IP address: " + config.host);
      config.port = parse_number<unsigned short>(value.substr(colon + 1), flag);
    } else if (flag == "--token") {
      const auto eq = value.find('=');
      if (eq == std::string_view::npos || eq == 0 || eq + 1 == value.size()) {
        usage_error("--token takes TOKEN=PROJECT_ID");
      }
      config.credentials.tokens[std::string(value.substr(0, eq))] =
          std::string(value.substr(eq + 1));
    } else if (flag == "--credential") {
      // AK:SK=PROJECT_ID; an AK has no ':', a project id no '=' (an SK may hold either).
      const auto colon = value.find(':');
      const auto eq = value.rfind('=');
      if (colon == std::string_view::npos || colon == 0 || eq == std::string_view::npos ||
          eq < colon + 2 || eq + 1 == value.size()) {
        usage_error("--credential takes AK:SK=PROJECT_ID");
      }
      config.credentials.keys.push_back(herald::aksk::Credential{
          std::string(value.substr(0, colon)), std::string(value.substr(colon + 1, eq - colon - 1)),
          std::string(value.substr(eq + 1))});
    } else if (flag == "--log-format") {
      const auto format = ServerLog::parse_format(value);
      if (!format) usage_error("--log-format takes text or json, not " + std::string(value));
      config.log_format = *format;
    } else if (flag == "--log-level") {
      if (!ServerLog::valid_level(value)) {
        usage_error("--log-level takes debug, info, warn, error or off, not " + std::string(value));
      }
      config.log_level = std::string(value);
    } else if (flag == "--auth-file") {
      config.auth_file = std::string(value);
    } else if (flag == "--tls-cert") {
      config.tls_cert = std::string(value);
    } else if (flag == "--tls-key") {
      config.tls_key = std::string(value);
    } else if (flag == "--region") {
      config.region = std::string(value);
    } else if (flag == "--header-timeout-ms") {
      config.header_timeout = parse_millis(value, flag);
    } else if (flag == "--idle-timeout-ms") {
      config.idle_timeout = parse_millis(value, flag);
    } else if (flag == "--store") {
      config.store = std::string(value);
    } else if (flag == "--public-url") {
      if (!value.starts_with("http://") && !value.starts_with("https://")) {
        usage_error("--public-url takes an http:// or https:// URL");
      }
      config.public_url = std::string(value);
    } else if (flag == "--push-retries") {
      config.retry.max_retries = parse_number<std::size_t>(value, flag);
    } else if (flag == "--push-backoff-ms") {
      config.retry.initial_backoff = parse_millis(value, flag);
    } else if (flag == "--push-backoff-max-ms") {
      config.retry.max_backoff = parse_millis(value, flag);
    } else if (flag == "--push-timeout-ms") {
      config.push_timeout = parse_millis(value, flag);
    } else if (flag == "--store-lease-ms") {
      config.lease = parse_millis(value, flag);
      if (config.lease < herald::k_min_store_lease) {
        usage_error("--store-lease-ms: must be at least " +
                    std::to_string(herald::k_min_store_lease.count()) + " ms, not " +
                    std::string(value));
      }
    } else if (flag == "--nats") {
      config.nats = std::string(value);
    } else if (flag == "--smn-signing-key") {
      config.smn_signing_key = std::string(value);
    } else if (flag == "--threads") {
      config.threads = parse_number<int>(value, flag);
      if (config.threads < 1) usage_error("--threads: must be a whole number from 1");
    } else {
      usage_error("unknown option " + std::string(flag));
    }
  }
  g_origin.clear();
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    usage_error("--tls-cert and --tls-key go together");
  }
  if (auto r = herald::check_credentials(config.credentials); !r) {
    usage_error("--token/--credential: " + r.error().message());
  }
  return config;
}

// The command line's credentials and the auth file's, or what is wrong with them.
herald::Result<herald::Credentials> load_credentials(const Config& config, ServerLog& log) {
  herald::Credentials all = config.credentials;
  if (config.auth_file.empty()) return all;
  std::ifstream in(config.auth_file, std::ios::binary);
  if (!in) {
    return herald::Error{herald::ErrorCode::invalid_argument,
                         "--auth-file: cannot read " + config.auth_file};
  }
  // An auth file is small: more than 16 MiB is not one.
  std::string text(16 * 1024 * 1024 + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > 16 * 1024 * 1024) {
    return herald::Error{herald::ErrorCode::invalid_argument,
                         "--auth-file: " + config.auth_file + " is larger than 16 MiB"};
  }
  auto file = herald::parse_auth_file(text);
  if (!file) {
    return herald::Error{herald::ErrorCode::invalid_argument,
                         config.auth_file + ": " + file.error().message()};
  }
  for (auto& [token, project] : file->tokens) {
    if (!all.tokens.emplace(token, project).second) {
      return herald::Error{herald::ErrorCode::invalid_argument,
                           config.auth_file + ": a token is also given by --token"};
    }
  }
  for (auto& key : file->keys) all.keys.push_back(std::move(key));
  if (auto r = herald::check_credentials(all); !r) {
    return herald::Error{herald::ErrorCode::invalid_argument,
                         config.auth_file + " with the command line: " + r.error().message()};
  }
  struct stat status {};
  if (stat(config.auth_file.c_str(), &status) == 0 && (status.st_mode & S_IROTH) != 0) {
    log.write(LogLevel::warning,
              "warning: " + config.auth_file +
                  " is readable by other users; it holds secrets (chmod o-r it)",
              {{"file", config.auth_file}});
  }
  return all;
}

// One connection, plain or TLS: what a stop needs of it.
class Connection {
 public:
  virtual ~Connection() = default;
  // From any thread: stop after the request in flight, or now when none is.
  virtual void stop() = 0;
};

// The connections alive, so that a stop can close the idle ones.
class SessionSet {
 public:
  void add(const std::shared_ptr<Connection>& s) {
    std::lock_guard lock(mutex_);
    sessions_.insert(s);
  }
  void remove(const std::shared_ptr<Connection>& s) {
    std::lock_guard lock(mutex_);
    sessions_.erase(s);
  }
  std::vector<std::shared_ptr<Connection>> all() {
    std::lock_guard lock(mutex_);
    return {sessions_.begin(), sessions_.end()};
  }

 private:
  std::mutex mutex_;
  std::set<std::shared_ptr<Connection>> sessions_;
};

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// `Stream` is beast::tcp_stream (HTTP) or TlsStream (HTTPS): the same reading, answering and
// closing over either.
template <typename Stream>
class Session : public Connection, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool k_tls = std::is_same_v<Stream, TlsStream>;

 public:
  template <typename... StreamArgs>
  Session(const herald::RestRouter& router, const Config& config, SessionSet& sessions,
          ServerLog& log, herald::Metrics& metrics, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        router_(router),
        config_(config),
        sessions_(sessions),
        log_(log),
        metrics_(metrics) {}

  void start() {
    sessions_.add(this->shared_from_this());
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (k_tls) {
        // The handshake counts against the time a new connection has for its first header.
        self->tcp().expires_after(self->config_.header_timeout);
        self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->close();
          self->next_request();
        });
      } else {
        self->next_request();
      }
    });
  }

  void stop() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->stopping_ = true;
      if (!self->busy_) self->close();
    });
  }

 private:
  // Input beyond this, with no complete header or body element in it, is refused.
  static constexpr std::size_t k_max_buffered = 64 * 1024 + 16 * 1024;

  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

  void next_request() {
    busy_ = false;
    if (stopping_) return close();
    tcp().expires_after(first_request_ ? config_.header_timeout : config_.idle_timeout);
    parse_buffered();  // a pipelined request may already be here
  }

  void parse_buffered() {
    const auto data = buffer_.data();
    const std::size_t used =
        reader_.feed(std::string_view(static_cast<const char*>(data.data()), data.size()));
    buffer_.consume(used);
    switch (reader_.state()) {
      case herald::server::RequestReader::State::complete: return handle(reader_.take());
      case herald::server::RequestReader::State::failed: return reject(reader_.failure());
      case herald::server::RequestReader::State::need_more: break;
    }
    if (reader_.header_done() && !busy_) {
      // A request is in flight from here: a stop lets it finish.
      busy_ = true;
      first_request_ = false;
      tcp().expires_after(config_.header_timeout + config_.idle_timeout);
    }
    if (buffer_.size() >= k_max_buffered) {
      // Unconsumed input this large is one line without its end: the reader consumes every
      // complete element, and counts a header it receives in pieces itself.
      return reject(
          reader_.header_done()
              ? herald::Error{herald::ErrorCode::bad_framing, "chunked body: line too long"}
              : herald::Error{herald::ErrorCode::header_too_large, "header section: too large"});
    }
    if (reader_.wants_continue()) {
      reader_.continue_sent();
      static constexpr std::string_view k_continue = "HTTP/1.1 100 Continue\r\n\r\n";
      return asio::async_write(
          stream_, asio::buffer(k_continue.data(), k_continue.size()),
          [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->close();
            self->read_more();
          });
    }
    read_more();
  }

  void read_more() {
    stream_.async_read_some(buffer_.prepare(16 * 1024),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              // Timeout, client gone, or a stop cancelled the read.
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->parse_buffered();
                            });
  }

  void handle(herald::server::ReadRequest read) {
    busy_ = true;
    first_request_ = false;
    const auto started = std::chrono::steady_clock::now();
    herald::RequestFacts facts;
    const auto answer = router_.handle(read.request, &facts);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_.observe_http(facts.route, answer.status, seconds);
    // One line per request: no token, signature or body, and the route's template, not its
    // names. Health probes only at debug: they come every few seconds.
    const bool probe = facts.route == "/healthz" || facts.route == "/readyz";
    log_.write(probe ? LogLevel::debug : LogLevel::info, "request",
               {{"request_id", answer.header("X-Request-Id")},
                {"method", read.request.method},
                {"route", facts.route},
                {"status", std::int64_t{answer.status}},
                {"duration_ms", seconds * 1000.0},
                {"project",
                 facts.project.empty() ? std::string_view("-") : std::string_view(facts.project)}});
    if (answer.status >= 500) {
      // The client's answer names no internals; the operator's line says what failed (the
      // error message names no token, secret or file).
      log_.write(LogLevel::error, "request failed",
                 {{"request_id", answer.header("X-Request-Id")},
                  {"route", facts.route},
                  {"status", std::int64_t{answer.status}},
                  {"error", error_message(answer.body)}});
    }
    respond(answer, read.keep_alive && !stopping_, read.head, read.version);
  }

  // The error_msg of an error body (the server's own JSON), for the failure line.
  static std::string_view error_message(std::string_view body) {
    constexpr std::string_view k_key = R"("error_msg":")";
    const auto at = body.rfind(k_key);
    if (at == std::string_view::npos) return body.substr(0, 200);
    const auto start = at + k_key.size();
    auto end = start;
    while (end < body.size() && body[end] != '"') end += body[end] == '\\' ? 2 : 1;
    return body.substr(start, std::min(end, body.size()) - start);
  }

  // A message that cannot be read to its end is answered, then the connection closes gently.
  void reject(const herald::Error& error) {
    log_.write(LogLevel::info, "request refused",
               {{"status", std::int64_t{error.http_status()}}, {"error", error.message()}});
    metrics_.observe_http("unmatched", error.http_status(), 0.0);
    respond(herald::RestRouter::error_response(error), false, false, 11, /*linger=*/true);
  }

  void respond(const herald::HttpResponse& answer, bool keep_alive, bool head, unsigned version,
               bool linger = false) {
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(version);
    response->result(static_cast<unsigned>(answer.status));
    for (const auto& [name, value] : answer.headers) response->set(name, value);
    response->body() = answer.body;
    response->keep_alive(keep_alive);
    response->prepare_payload();
    // HEAD: the GET's headers, Content-Length included, and no body (RFC 9110 §9.3.2).
    if (head) response->body().clear();
    tcp().expires_after(config_.idle_timeout);
    http::async_write(stream_, *response,
                      [self = this->shared_from_this(), response, keep_alive, linger](
                          beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        if (linger) return self->linger();
                        if (!keep_alive) return self->finish();
                        self->next_request();
                      });
  }

  // The last answer is out: TLS says close_notify first (bounded), plain TCP closes.
  void finish() {
    if constexpr (k_tls) {
      tcp().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->close(); });
    } else {
      close();
    }
  }

  // Half-close and drain what the client still sends, so that closing does not reset the
  // connection under a response it has not read yet (as nginx's lingering close). Over TLS,
  // close_notify is the half-close.
  void linger() {
    if constexpr (k_tls) {
      return finish();
    } else {
      beast::error_code ignored;
      tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
      tcp().expires_after(std::chrono::seconds(2));
      drain_ = std::make_shared<std::array<char, 16384>>();
      linger_more();
    }
  }
  void linger_more() {
    stream_.async_read_some(asio::buffer(*drain_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->linger_more();
                            });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
    sessions_.remove(this->shared_from_this());
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  herald::server::RequestReader reader_;
  std::shared_ptr<std::array<char, 16384>> drain_;
  const herald::RestRouter& router_;
  const Config& config_;
  SessionSet& sessions_;
  ServerLog& log_;
  herald::Metrics& metrics_;
  bool first_request_ = true;
  bool busy_ = false;
  bool stopping_ = false;
  bool closed_ = false;
};

class Listener {
 public:
  // `tls`: serve HTTPS with this context; null for plain HTTP.
  Listener(asio::io_context& io, tcp::endpoint endpoint, const herald::RestRouter& router,
           const Config& config, SessionSet& sessions, ServerLog& log, herald::Metrics& metrics,
           asio::ssl::context* tls)
      : io_(io),
        acceptor_(asio::make_strand(io)),
        retry_(acceptor_.get_executor()),
        router_(router),
        config_(config),
        sessions_(sessions),
        log_(log),
        metrics_(metrics),
        tls_(tls) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }

  [[nodiscard]] tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  void accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec,
                                                          tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (out_of_resources(ec)) {
        // Out of descriptors or memory: the connection waits in the backlog. Trying again
        // at once would fail again at once and burn a core, so wait, longer each time.
        backoff_ = std::min(
            backoff_ == std::chrono::milliseconds{0} ? std::chrono::milliseconds{5} : backoff_ * 2,
            std::chrono::milliseconds{500});
        retry_.expires_after(backoff_);
        retry_.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec) accept();
        });
        return;
      }
      backoff_ = std::chrono::milliseconds{0};
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        if (tls_ != nullptr) {
          std::make_shared<Session<TlsStream>>(router_, config_, sessions_, log_, metrics_,
                                               std::move(socket), *tls_)
              ->start();
        } else {
          std::make_shared<Session<beast::tcp_stream>>(router_, config_, sessions_, log_, metrics_,
                                                       std::move(socket))
              ->start();
        }
      }
      accept();
    });
  }

  void stop() {
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      retry_.cancel();
    });
  }

 private:
  static bool out_of_resources(const beast::error_code& ec) {
    return ec == asio::error::no_descriptors || ec == asio::error::no_memory ||
           ec == asio::error::no_buffer_space ||
           ec == beast::error_code(ENFILE, boost::system::system_category());
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  std::chrono::milliseconds backoff_{0};
  const herald::RestRouter& router_;
  const Config& config_;
  SessionSet& sessions_;
  ServerLog& log_;
  herald::Metrics& metrics_;
  asio::ssl::context* tls_;
};

// The server's TLS context: TLS 1.2 or later, no compression, the certificate chain and key of
// the command line. Errors name the file.
herald::Result<std::unique_ptr<asio::ssl::context>> make_tls_context(const Config& config) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression |
                       asio::ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  context->use_certificate_chain_file(config.tls_cert, ec);
  if (ec) {
    return herald::Error{herald::ErrorCode::invalid_argument,
                         "--tls-cert: cannot use " + config.tls_cert + ": " + ec.message()};
  }
  context->use_private_key_file(config.tls_key, asio::ssl::context::pem, ec);
  if (ec) {
    return herald::Error{herald::ErrorCode::invalid_argument,
                         "--tls-key: cannot use " + config.tls_key + ": " + ec.message()};
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return herald::Error{herald::ErrorCode::invalid_argument,
                         "--tls-key: " + config.tls_key + " is not the key of " + config.tls_cert};
  }
  return context;
}

// As many descriptors as the hard limit allows: each connection holds one.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Config config = parse_args(argc, argv);
  ServerLog log(config.log_format, config.log_level);
  const auto metrics = std::make_shared<herald::Metrics>();
  raise_descriptor_limit();

  std::string signing_key_pem;
  if (!config.smn_signing_key.empty()) {
    std::ifstream in(config.smn_signing_key, std::ios::binary);
    if (!in) {
      std::cerr << "herald-server: --smn-signing-key: cannot read " << config.smn_signing_key
                << "\n";
      return 1;
    }
    std::ostringstream text;
    text << in.rdbuf();
    signing_key_pem = text.str();
  }
  herald::SmnOptions smn_options;
  smn_options.auto_confirm = config.smn_auto_confirm;
  smn_options.allow_private_endpoints = config.allow_private_endpoints;

  // What the engine cannot tell a caller (a final status the store refused, a delivery that
  // failed for good) goes to the log.
  const herald::LogFunction engine_log = [&log](herald::LogLevel level, std::string_view message,
                                                std::span<const herald::LogField> fields) {
    log.write(level, message, fields);
  };
  std::unique_ptr<herald::Engine> engine_owner;
  std::shared_ptr<herald::SmnTopics> topics;
  if (config.store.empty()) {
    herald::Options options;
    options.retry = config.retry;
    options.metrics = metrics;
    options.log = engine_log;
    engine_owner = std::make_unique<herald::Engine>(options);
    topics = std::make_shared<herald::SmnTopics>(config.region, smn_options);
  } else {
    const auto fail = [](const herald::Error& error) {
      std::cerr << "herald-server: " << error.message() << "\n";
      return 1;
    };
    auto store =
        herald::is_postgres_conninfo(config.store)
            ? herald::open_postgres_store(config.store, {.metrics = metrics, .lease = config.lease})
            : herald::open_sqlite_store(config.store, {.metrics = metrics});
    if (!store) return fail(store.error());
    herald::Options options;
    options.retry = config.retry;
    options.metrics = metrics;
    options.log = engine_log;
    if (auto r = agree_with_the_others(**store, options, config.region); !r) return fail(r.error());
    auto opened = herald::Engine::open(*store, options);
    if (!opened) return fail(opened.error());
    auto stored_topics = herald::SmnTopics::open(config.region, *store, smn_options);
    if (!stored_topics) return fail(stored_topics.error());
    engine_owner = std::move(opened).value();
    topics = std::move(stored_topics).value();
  }
  herald::Engine& engine = *engine_owner;
  const herald::ScopedConnection smn = engine.connect_sink("SMN", herald::smn_sink(topics));
  herald::ScopedConnection nats;
  std::function<bool()> broker_connected;
  if (!config.nats.empty()) {
    auto opened = herald::open_nats_sink({.url = config.nats});
    if (!opened) {
      std::cerr << "herald-server: --nats: " << opened.error().message() << "\n";
      return 1;
    }
    broker_connected = std::move(opened->connected);
    nats = engine.connect_sink("NATS", std::move(opened->sink));
  }
  auto credentials = load_credentials(config, log);
  if (!credentials) {
    std::cerr << "herald-server: " << credentials.error().message() << "\n";
    return 2;
  }
  herald::RestRouter router(engine, *topics, std::move(credentials).value(),
                            herald::system_clock());
  router.set_metrics(metrics);
  if (broker_connected) {
    // Not ready while the broker is away: NATS deliveries wait for it meanwhile.
    router.set_readiness_check([broker_connected]() -> herald::Result<void> {
      if (broker_connected()) return {};
      return herald::Error{herald::ErrorCode::unavailable, "the NATS broker is not connected"};
    });
  }
  std::unique_ptr<asio::ssl::context> tls;
  if (!config.tls_cert.empty()) {
    auto context = make_tls_context(config);
    if (!context) {
      std::cerr << "herald-server: " << context.error().message() << "\n";
      return 2;
    }
    tls = std::move(context).value();
  }
  herald::ExpiryScheduler scheduler(engine);

  asio::io_context io(config.threads);
  SessionSet sessions;
  std::unique_ptr<Listener> listener;
  try {
    const auto address = asio::ip::make_address(config.host);
    listener = std::make_unique<Listener>(io, tcp::endpoint(address, config.port), router, config,
                                          sessions, log, *metrics, tls.get());
  } catch (const std::exception& error) {
    std::cerr << "herald-server: cannot listen on " << config.host << ":" << config.port << ": "
              << error.what() << "\n";
    return 1;
  }
  // SIGHUP: the auth file again; what fails to load leaves the credentials in force.
  asio::signal_set reload(io, SIGHUP);
  std::function<void(beast::error_code, int)> on_reload = [&](beast::error_code ec, int) {
    if (ec) return;
    if (auto reloaded = load_credentials(config, log); !reloaded) {
      log.write(LogLevel::error, "SIGHUP: the credentials in force stay",
                {{"error", reloaded.error().message()}});
    } else {
      const auto tokens = static_cast<std::int64_t>(reloaded->tokens.size());
      const auto keys = static_cast<std::int64_t>(reloaded->keys.size());
      router.set_credentials(std::move(reloaded).value());
      log.write(LogLevel::info, "SIGHUP: credentials reloaded",
                {{"tokens", tokens}, {"access_keys", keys}});
    }
    reload.async_wait(on_reload);
  };
  reload.async_wait(on_reload);
  // Handle the stop signals before announcing the address: whoever reads the line may signal.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code ec, int) {
    if (ec) return;
    reload.cancel();
    listener->stop();
    for (const auto& session : sessions.all()) session->stop();
  });
  const auto bound = listener->local_endpoint();
  // SMN pushes: the URLs handed out need the bound port, so they start once listening.
  herald::SmnPushOptions push;
  push.signing_key_pem = signing_key_pem;
  push.retry = config.retry;
  push.attempt_timeout = config.push_timeout;
  push.public_url = config.public_url;
  if (push.public_url.empty()) {
    std::string host = bound.address().to_string();
    if (bound.address().is_unspecified()) {
      std::cerr << "herald-server: listening on a wildcard address; SMN subscribers get URLs on "
                   "127.0.0.1 (give --public-url)\n";
      host = "127.0.0.1";
    } else if (bound.address().is_v6()) {
      host = "[" + host + "]";
    }
    push.public_url = "http://" + host + ":" + std::to_string(bound.port());
  }
  if (auto r = topics->start_pushing(push); !r) {
    std::cerr << "herald-server: " << r.error().message() << "\n";
    return 1;
  }
  // What a crash left in the store's outbox goes out now, to the stored topics and their
  // subscribers.
  engine.deliver_pending();
  std::cout << "listening on " << (tls ? "https" : "http") << "://" << bound.address().to_string()
            << ":" << bound.port() << std::endl;  // flushed: scripts and tests wait for this line
  listener->accept();

  std::vector<std::thread> threads;
  for (int i = 1; i < config.threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& thread : threads) thread.join();
  scheduler.stop();
  log.write(LogLevel::info, "stopped", {});
  return 0;
}
