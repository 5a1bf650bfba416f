#include "http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace herald::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

Result<Endpoint> parse_endpoint(std::string_view url) {
  constexpr std::string_view k_scheme = "http://";
  if (!url.starts_with(k_scheme)) {
    return Error{ErrorCode::invalid_argument, "endpoint: must start with http://"};
  }
  url.remove_prefix(k_scheme.size());
  const auto slash = url.find('/');
  const std::string_view authority = url.substr(0, slash);
  std::string_view prefix = slash == std::string_view::npos ? "" : url.substr(slash);
  while (prefix.ends_with('/')) prefix.remove_suffix(1);
  const auto colon = authority.rfind(':');
  if (authority.empty() || colon == 0) {
    return Error{ErrorCode::invalid_argument, "endpoint: no host"};
  }
  Endpoint endpoint{
      std::string(authority.substr(0, colon)),
      colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1)),
      std::string(prefix)};
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
  Impl(Endpoint e, std::chrono::milliseconds t) : endpoint(std::move(e)), timeout(t) {}

  Endpoint endpoint;
  std::chrono::milliseconds timeout;
  asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  // Runs the I/O so far queued, with the stream's deadline.
  beast::error_code connect() {
    tcp::resolver resolver(io);
    beast::error_code ec;
    const auto addresses = resolver.resolve(endpoint.host, endpoint.port, ec);
    if (ec) return ec;
    stream.emplace(io);
    stream->expires_after(timeout);
    stream->connect(addresses, ec);
    if (ec) stream.reset();
    buffer.clear();
    return ec;
  }

  beast::error_code exchange(const bhttp::request<bhttp::string_body>& request,
                             bhttp::response<bhttp::string_body>& response) {
    beast::error_code ec;
    stream->expires_after(timeout);
    bhttp::write(*stream, request, ec);
    if (ec) return ec;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    bhttp::read(*stream, buffer, parser, ec);
    if (!ec) response = parser.release();
    return ec;
  }
};

Client::Client(Endpoint endpoint, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(endpoint), timeout)) {}
Client::~Client() = default;

Result<Response> Client::request(std::string_view method, std::string_view target,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 std::string_view body) {
  bhttp::request<bhttp::string_body> request;
  request.method_string(method);
  request.target(impl_->endpoint.prefix + std::string(target));
  request.version(11);
  request.set(bhttp::field::host, impl_->endpoint.host + ":" + impl_->endpoint.port);
  request.set(bhttp::field::user_agent, "herald-client");
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty() || method == "POST" || method == "PUT") {
    request.set(bhttp::field::content_type, "application/json;charset=UTF-8");
    request.body() = std::string(body);
  }
  request.keep_alive(true);
  request.prepare_payload();

  bhttp::response<bhttp::string_body> response;
  beast::error_code ec;
  // A kept-alive connection may have been closed by the server meanwhile: retry once, fresh.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = impl_->stream.has_value();
    if (!reused) ec = impl_->connect();
    if (!ec) ec = impl_->exchange(request, response);
    if (!ec) break;
    impl_->stream.reset();
    if (!reused) break;
  }
  if (ec) {
    return Error{ErrorCode::unavailable, "cannot reach http://" + impl_->endpoint.host + ":" +
                                             impl_->endpoint.port + ": " + ec.message()};
  }
  if (!response.keep_alive()) impl_->stream.reset();
  Response answer;
  answer.status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    answer.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  answer.body = std::move(response.body());
  return answer;
}

}  // namespace herald::http
