// herald-server: the CSMS REST facade over HTTP/1.1 (Boost.Beast), keep-alive, with header and
// idle timeouts, a 1 MiB body limit, the expiry scheduler, and a clean stop on SIGINT/SIGTERM:
// the listener closes, idle connections close, requests in flight finish, exit status 0.
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "herald/herald.hpp"
#include "herald/rest.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view k_usage = R"(usage: herald-server [options]

Serves the CSMS "secret events" REST API (and herald's extensions) on HTTP/1.1.

options:
  --listen HOST:PORT       address to listen on (default 127.0.0.1:8080; port 0 picks a free
                           port). Prints "listening on http://HOST:PORT" once listening.
  --token TOKEN=PROJECT    accept X-Auth-Token TOKEN for project PROJECT (repeatable; without
                           any, every request answers 401)
  --region NAME            region of the built-in SMN topics' URNs (default region-1)
  --header-timeout-ms N    time a new connection has to send a complete request header
                           (default 10000)
  --idle-timeout-ms N      time a kept-alive connection may wait for its next request
                           (default 30000)
  --threads N              I/O threads (default 2)
  --store PATH             keep events, subscriptions, expiry timers, records, pending deliveries
                           and SMN topics in the SQLite file PATH (created if missing), so that a
                           restart finds them and delivers what a crash interrupted; deliveries
                           are then asynchronous (lifecycle events answer PENDING). Without it,
                           everything lives in memory only
  --help                   this text

SIGINT or SIGTERM stop the server: requests in flight finish, then it exits with status 0.
)";

struct Config {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::map<std::string, std::string> tokens;
  std::string region = "region-1";
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};
  int threads = 2;
  std::string store;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "herald-server: " << message << "\n(see herald-server --help)\n";
  std::exit(2);
}

template <typename Number>
Number parse_number(std::string_view text, std::string_view flag) {
  Number value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    usage_error(std::string(flag) + ": not a number: " + std::string(text));
  }
  return value;
}

Config parse_args(int argc, char** argv) {
  Config config;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view flag = args[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << k_usage;
      std::exit(0);
    }
    if (i + 1 >= args.size()) usage_error(std::string(flag) + " needs a value");
    const std::string_view value = args[++i];
    if (flag == "--listen") {
      const auto colon = value.rfind(':');
      if (colon == std::string_view::npos || colon == 0) usage_error("--listen takes HOST:PORT");
      config.host = std::string(value.substr(0, colon));
      config.port = parse_number<unsigned short>(value.substr(colon + 1), flag);
    } else if (flag == "--token") {
      const auto eq = value.find('=');
      if (eq == std::string_view::npos || eq == 0 || eq + 1 == value.size()) {
        usage_error("--token takes TOKEN=PROJECT_ID");
      }
      config.tokens[std::string(value.substr(0, eq))] = std::string(value.substr(eq + 1));
    } else if (flag == "--region") {
      config.region = std::string(value);
    } else if (flag == "--header-timeout-ms") {
      config.header_timeout = std::chrono::milliseconds(parse_number<long>(value, flag));
    } else if (flag == "--idle-timeout-ms") {
      config.idle_timeout = std::chrono::milliseconds(parse_number<long>(value, flag));
    } else if (flag == "--store") {
      config.store = std::string(value);
    } else if (flag == "--threads") {
      config.threads = std::max(1, parse_number<int>(value, flag));
    } else {
      usage_error("unknown option " + std::string(flag));
    }
  }
  return config;
}

class Session;

// The sessions alive, so that a stop can close the idle ones.
class SessionSet {
 public:
  void add(const std::shared_ptr<Session>& s) {
    std::lock_guard lock(mutex_);
    sessions_.insert(s);
  }
  void remove(const std::shared_ptr<Session>& s) {
    std::lock_guard lock(mutex_);
    sessions_.erase(s);
  }
  std::vector<std::shared_ptr<Session>> all() {
    std::lock_guard lock(mutex_);
    return {sessions_.begin(), sessions_.end()};
  }

 private:
  std::mutex mutex_;
  std::set<std::shared_ptr<Session>> sessions_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const herald::RestRouter& router, const Config& config,
          SessionSet& sessions)
      : stream_(std::move(socket)), router_(router), config_(config), sessions_(sessions) {}

  void start() {
    sessions_.add(shared_from_this());
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

  // From any thread: stop after the request in flight, or now when none is.
  void stop() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->stopping_ = true;
      if (!self->busy_) self->close();
    });
  }

 private:
  void read_header() {
    busy_ = false;
    if (stopping_) return close();
    parser_.emplace();
    parser_->body_limit(herald::k_max_body_bytes);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(first_request_ ? config_.header_timeout : config_.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    // Beast checks a Content-Length against the body limit as soon as the header is parsed.
    if (ec == http::error::body_limit) return reject_too_large();
    if (ec) return close();  // timeout, client gone, or a stop cancelled the read
    busy_ = true;
    first_request_ = false;
    const auto length = parser_->content_length();
    if (length && *length > herald::k_max_body_bytes) return reject_too_large();
    stream_.expires_after(config_.header_timeout + config_.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code read_ec, std::size_t) {
                       self->on_body(read_ec);
                     });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::body_limit) return reject_too_large();
    if (ec) return close();
    auto& message = parser_->get();
    herald::HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    respond(router_.handle(request), message.keep_alive() && !stopping_);
  }

  // The server may answer 413 before reading the body; it then closes gently (see linger).
  void reject_too_large() {
    respond(herald::RestRouter::error_response(herald::Error{
                herald::ErrorCode::body_too_large, "body: larger than 1 MiB (1048576 bytes)"}),
            false, /*linger=*/true);
  }

  void respond(const herald::HttpResponse& answer, bool keep_alive, bool linger = false) {
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(11);
    response->result(static_cast<unsigned>(answer.status));
    for (const auto& [name, value] : answer.headers) response->set(name, value);
    response->body() = answer.body;
    response->keep_alive(keep_alive);
    response->prepare_payload();
    stream_.expires_after(config_.idle_timeout);
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response, keep_alive, linger](
                          beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        if (linger) return self->linger();
                        if (!keep_alive) return self->close();
                        self->read_header();
                      });
  }

  // Half-close and drain what the client still sends, so that closing does not reset the
  // connection under a response it has not read yet (as nginx's lingering close).
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    drain_ = std::make_shared<std::array<char, 16384>>();
    stream_.async_read_some(asio::buffer(*drain_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->linger_more();
                            });
  }
  void linger_more() {
    stream_.async_read_some(asio::buffer(*drain_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->linger_more();
                            });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    sessions_.remove(shared_from_this());
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<std::array<char, 16384>> drain_;
  const herald::RestRouter& router_;
  const Config& config_;
  SessionSet& sessions_;
  bool first_request_ = true;
  bool busy_ = false;
  bool stopping_ = false;
  bool closed_ = false;
};

class Listener {
 public:
  Listener(asio::io_context& io, tcp::endpoint endpoint, const herald::RestRouter& router,
           const Config& config, SessionSet& sessions)
      : io_(io),
        acceptor_(asio::make_strand(io)),
        router_(router),
        config_(config),
        sessions_(sessions) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }

  [[nodiscard]] tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  void accept() {
    acceptor_.async_accept(
        asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
          if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
          if (!ec) {
            socket.set_option(tcp::no_delay(true), ec);
            std::make_shared<Session>(std::move(socket), router_, config_, sessions_)->start();
          }
          accept();
        });
  }

  void stop() {
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
  }

 private:
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  const herald::RestRouter& router_;
  const Config& config_;
  SessionSet& sessions_;
};

}  // namespace

int main(int argc, char** argv) {
  const Config config = parse_args(argc, argv);

  std::unique_ptr<herald::Engine> engine_owner;
  std::shared_ptr<herald::SmnTopics> topics;
  if (config.store.empty()) {
    engine_owner = std::make_unique<herald::Engine>();
    topics = std::make_shared<herald::SmnTopics>(config.region);
  } else {
    const auto fail = [](const herald::Error& error) {
      std::cerr << "herald-server: " << error.message() << "\n";
      return 1;
    };
    auto store = herald::open_sqlite_store(config.store);
    if (!store) return fail(store.error());
    auto opened = herald::Engine::open(*store);
    if (!opened) return fail(opened.error());
    auto stored_topics = herald::SmnTopics::open(config.region, *store);
    if (!stored_topics) return fail(stored_topics.error());
    engine_owner = std::move(opened).value();
    topics = std::move(stored_topics).value();
  }
  herald::Engine& engine = *engine_owner;
  const herald::ScopedConnection smn = engine.connect_sink("SMN", herald::smn_sink(topics));
  // What a crash left in the store's outbox goes out now, to the stored topics.
  engine.deliver_pending();
  const herald::RestRouter router(engine, *topics, config.tokens);
  herald::ExpiryScheduler scheduler(engine);

  asio::io_context io(config.threads);
  SessionSet sessions;
  std::unique_ptr<Listener> listener;
  try {
    const auto address = asio::ip::make_address(config.host);
    listener = std::make_unique<Listener>(io, tcp::endpoint(address, config.port), router, config,
                                          sessions);
  } catch (const std::exception& error) {
    std::cerr << "herald-server: cannot listen on " << config.host << ":" << config.port << ": "
              << error.what() << "\n";
    return 1;
  }
  // Handle the stop signals before announcing the address: whoever reads the line may signal.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code ec, int) {
    if (ec) return;
    listener->stop();
    for (const auto& session : sessions.all()) session->stop();
  });
  const auto bound = listener->local_endpoint();
  std::cout << "listening on http://" << bound.address().to_string() << ":" << bound.port()
            << std::endl;  // flushed: scripts and tests wait for this line
  listener->accept();

  std::vector<std::thread> threads;
  for (int i = 1; i < config.threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& thread : threads) thread.join();
  scheduler.stop();
  std::cerr << "herald-server: stopped\n";
  return 0;
}
