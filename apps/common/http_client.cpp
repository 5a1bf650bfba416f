#include "http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

#include "herald/aksk.hpp"

namespace herald::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

Result<Endpoint> parse_endpoint(std::string_view url) {
  Endpoint endpoint;
  if (url.starts_with("https://")) {
    endpoint.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return Error{ErrorCode::invalid_argument, "endpoint: must start with http:// or https://"};
  }
  const auto slash = url.find('/');
  const std::string_view authority = url.substr(0, slash);
  std::string_view prefix = slash == std::string_view::npos ? "" : url.substr(slash);
  while (prefix.ends_with('/')) prefix.remove_suffix(1);
  const auto colon = authority.rfind(':');
  if (authority.empty() || colon == 0) {
    return Error{ErrorCode::invalid_argument, "endpoint: no host"};
  }
  endpoint.host = std::string(authority.substr(0, colon));
  endpoint.port = colon == std::string_view::npos ? (endpoint.tls ? "443" : "80")
                                                  : std::string(authority.substr(colon + 1));
  endpoint.prefix = std::string(prefix);
  if (endpoint.port.empty() || endpoint.port.find_first_not_of("0123456789") != std::string::npos) {
    return Error{ErrorCode::invalid_argument, "endpoint: the port must be a number"};
  }
  return endpoint;
}

std::string_view Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, name)) return value;
  }
  return {};
}

struct Client::Impl {
  Impl(Endpoint e, ClientOptions o)
      : endpoint(std::move(e)), options(std::move(o)), tls(asio::ssl::context::tls_client) {}

  Endpoint endpoint;
  ClientOptions options;
  asio::io_context io;
  asio::ssl::context tls;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  [[nodiscard]] bool connected() const { return plain.has_value() || secure.has_value(); }
  void reset() {
    plain.reset();
    secure.reset();
  }

  beast::error_code configure_tls() {
    beast::error_code ec;
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression);
    tls.set_verify_mode(asio::ssl::verify_peer, ec);
    if (ec) return ec;
    if (options.ca_file.empty()) {
      tls.set_default_verify_paths(ec);
    } else {
      tls.load_verify_file(options.ca_file, ec);
    }
    return ec;
  }

  beast::error_code connect() {
    tcp::resolver resolver(io);
    beast::error_code ec;
    const auto addresses = resolver.resolve(endpoint.host, endpoint.port, ec);
    if (ec) return ec;
    buffer.clear();
    if (!endpoint.tls) {
      plain.emplace(io);
      plain->expires_after(options.timeout);
      plain->connect(addresses, ec);
      if (ec) plain.reset();
      return ec;
    }
    secure.emplace(io, tls);
    auto& tcp_layer = beast::get_lowest_layer(*secure);
    tcp_layer.expires_after(options.timeout);
    tcp_layer.connect(addresses, ec);
    // SNI and the name the certificate must carry (an IP address is checked as one).
    if (!ec && SSL_set_tlsext_host_name(secure->native_handle(), endpoint.host.c_str()) != 1) {
      ec = beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
    }
    if (!ec) secure->set_verify_callback(asio::ssl::host_name_verification(endpoint.host), ec);
    if (!ec) secure->handshake(asio::ssl::stream_base::client, ec);
    if (ec) secure.reset();
    return ec;
  }

  template <typename Stream>
  beast::error_code exchange(Stream& stream, const bhttp::request<bhttp::string_body>& request,
                             bhttp::response<bhttp::string_body>& response) {
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(options.timeout);
    bhttp::write(stream, request, ec);
    if (ec) return ec;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    // A HEAD answer carries the GET's Content-Length and no body.
    parser.skip(request.method() == bhttp::verb::head);
    bhttp::read(stream, buffer, parser, ec);
    if (!ec) response = parser.release();
    return ec;
  }

  beast::error_code exchange(const bhttp::request<bhttp::string_body>& request,
                             bhttp::response<bhttp::string_body>& response) {
    return secure ? exchange(*secure, request, response) : exchange(*plain, request, response);
  }
};

Client::Client(Endpoint endpoint, std::chrono::milliseconds timeout)
    : Client(std::move(endpoint), ClientOptions{.timeout = timeout}) {}

Client::Client(Endpoint endpoint, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(endpoint), std::move(options))) {}
Client::~Client() = default;

Result<Response> Client::request(std::string_view method, std::string_view target,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 std::string_view body) {
  const auto url = [&] {
    return std::string(impl_->endpoint.tls ? "https://" : "http://") + impl_->endpoint.host + ":" +
           impl_->endpoint.port;
  };
  if (impl_->endpoint.tls && !impl_->connected()) {
    if (const auto ec = impl_->configure_tls()) {
      return Error{ErrorCode::unavailable, "cannot set up TLS for " + url() + ": " + ec.message()};
    }
  }
  // The message as it goes on the wire, so that a signature covers exactly that.
  HttpRequest message{std::string(method), impl_->endpoint.prefix + std::string(target), headers,
                      std::string(body)};
  // Defaults for what the caller did not set.
  const auto add = [&](std::string_view name, std::string value) {
    if (message.header_count(name) == 0) message.headers.emplace_back(name, std::move(value));
  };
  add("Host", impl_->endpoint.host + ":" + impl_->endpoint.port);
  add("User-Agent", "herald-client");
  if (!impl_->options.project_id.empty()) add("X-Project-Id", impl_->options.project_id);
  if (!body.empty() || method == "POST" || method == "PUT") {
    add("Content-Type", "application/json;charset=UTF-8");
  }
  if (!impl_->options.access_key.empty() && !impl_->options.secret_key.empty()) {
    if (auto signed_ = aksk::sign(message, impl_->options.access_key, impl_->options.secret_key);
        !signed_) {
      return std::move(signed_).error();
    }
  }
  bhttp::request<bhttp::string_body> request;
  request.method_string(method);
  request.target(message.target);
  request.version(11);
  for (const auto& [name, value] : message.headers) request.insert(name, value);
  request.body() = std::move(message.body);
  request.keep_alive(true);
  request.prepare_payload();

  bhttp::response<bhttp::string_body> response;
  beast::error_code ec;
  // A kept-alive connection may have been closed by the server meanwhile: retry once, fresh.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = impl_->connected();
    if (!reused) ec = impl_->connect();
    if (!ec) ec = impl_->exchange(request, response);
    if (!ec) break;
    impl_->reset();
    if (!reused) break;
  }
  if (ec) return Error{ErrorCode::unavailable, "cannot reach " + url() + ": " + ec.message()};
  if (!response.keep_alive()) impl_->reset();
  Response answer;
  answer.status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    answer.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  answer.body = std::move(response.body());
  return answer;
}

}  // namespace herald::http
