// RequestReader: Beast's request parser, driven one buffer at a time, with the checks Beast
// leaves to the server. Beast is compiled here and in main.cpp only.
#include "request_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/string_body.hpp>

namespace herald::server {

namespace beast = boost::beast;
namespace bhttp = beast::http;

struct RequestReader::Parser {
  bhttp::request_parser<bhttp::string_body> beast;
};

RequestReader::RequestReader(ReadLimits limits)
    : limits_(limits), parser_(std::make_unique<Parser>()) {
  parser_->beast.header_limit(static_cast<std::uint32_t>(limits_.header_bytes));
  parser_->beast.body_limit(limits_.body_bytes);
  // Header first: its checks run before any body byte is parsed.
  parser_->beast.eager(false);
}

RequestReader::~RequestReader() = default;

bool RequestReader::header_done() const noexcept { return parser_->beast.is_header_done(); }

void RequestReader::fail(ErrorCode code, std::string message) {
  state_ = State::failed;
  wants_continue_ = false;
  failure_.emplace(code, std::move(message));
}

const Error& RequestReader::failure() const { return *failure_; }

namespace {

// The failure of a Beast parse error: its status and what it means for people.
std::pair<ErrorCode, std::string> beast_failure(const beast::error_code& ec) {
  if (ec == bhttp::error::header_limit) {
    return {ErrorCode::header_too_large, "header section: too large"};
  }
  if (ec == bhttp::error::body_limit) {
    return {ErrorCode::body_too_large, "body: larger than 1 MiB (1048576 bytes)"};
  }
  if (ec == bhttp::error::bad_content_length || ec == bhttp::error::multiple_content_length) {
    return {ErrorCode::bad_framing,
            "Content-Length: malformed, repeated with another value, "
            "or sent with Transfer-Encoding"};
  }
  if (ec == bhttp::error::bad_transfer_encoding) {
    return {ErrorCode::bad_framing, "Transfer-Encoding: repeated, or sent with Content-Length"};
  }
  if (ec == bhttp::error::bad_chunk || ec == bhttp::error::bad_chunk_extension) {
    return {ErrorCode::bad_framing, "chunked body: malformed chunk"};
  }
  if (ec == bhttp::error::bad_version) {
    // Malformed; a well-formed version other than 1.0 or 1.1 is 505 (check_header).
    return {ErrorCode::bad_framing, "request line: malformed HTTP version"};
  }
  return {ErrorCode::bad_framing, fmt::format("malformed HTTP message ({})", ec.message())};
}

bool iequals(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

// Whether the request line ends in a well-formed `HTTP/d.d` (RFC 9112 §2.3), whatever digits.
bool well_formed_version(std::string_view line) {
  if (line.size() < 9) return false;
  const auto version = line.substr(line.size() - 9);
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return version.substr(0, 6) == " HTTP/" && digit(version[6]) && version[7] == '.' &&
         digit(version[8]);
}

}  // namespace

std::string origin_form(std::string_view target) {
  std::size_t scheme = 0;
  if (target.size() >= 7 && iequals(target.substr(0, 7), "http://")) {
    scheme = 7;
  } else if (target.size() >= 8 && iequals(target.substr(0, 8), "https://")) {
    scheme = 8;
  } else {
    return std::string(target);
  }
  const auto rest = target.substr(scheme);
  const auto path = rest.find_first_of("/?");
  if (path == std::string_view::npos) return "/";
  if (rest[path] == '?') return "/" + std::string(rest.substr(path));
  return std::string(rest.substr(path));
}

void RequestReader::check_header(std::string_view raw_header) {
  auto& message = parser_->beast.get();
  // obs-fold (a field line continued on the next line) is refused outright: a folded
  // Transfer-Encoding or Content-Length is a classic way to smuggle a second framing.
  for (std::size_t at = raw_header.find('\n');
       at != std::string_view::npos && at + 1 < raw_header.size();
       at = raw_header.find('\n', at + 1)) {
    if (raw_header[at + 1] == ' ' || raw_header[at + 1] == '\t') {
      return fail(ErrorCode::bad_framing, "header section: obs-fold (a folded field) is refused");
    }
  }
  std::size_t fields = 0;
  std::size_t hosts = 0;
  std::size_t encodings = 0;
  for (const auto& field : message) {
    ++fields;
    if (field.name() == bhttp::field::host) ++hosts;
    if (field.name() == bhttp::field::transfer_encoding) ++encodings;
  }
  if (fields > limits_.header_fields) {
    return fail(ErrorCode::header_too_large,
                fmt::format("header section: more than {} fields", limits_.header_fields));
  }
  const unsigned version = message.version();
  if (version != 10 && version != 11) {
    return fail(ErrorCode::http_version, "HTTP version: only HTTP/1.0 and HTTP/1.1 are served");
  }
  if (version == 11 && hosts != 1) {
    return fail(ErrorCode::bad_framing, "Host: an HTTP/1.1 request carries exactly one");
  }
  if (encodings > 0) {
    if (version == 10) {
      return fail(ErrorCode::bad_framing, "Transfer-Encoding: not allowed in an HTTP/1.0 request");
    }
    // Beast took `chunked` as the framing only when it is the last coding; anything else
    // around it is a coding herald would have to decode.
    const auto value = message[bhttp::field::transfer_encoding];
    const bhttp::token_list codings{value};
    std::size_t count = 0;
    bool chunked_last = false;
    for (const auto coding : codings) {
      ++count;
      chunked_last = iequals(coding, "chunked");
    }
    if (count == 0 || !chunked_last || !parser_->beast.chunked()) {
      return fail(ErrorCode::bad_framing,
                  "Transfer-Encoding: chunked must be the last (and here the only) coding");
    }
    if (count > 1) {
      return fail(ErrorCode::not_implemented,
                  "Transfer-Encoding: only chunked is implemented, without other codings");
    }
  }
  if (const auto length = parser_->beast.content_length(); length && *length > limits_.body_bytes) {
    return fail(ErrorCode::body_too_large, "body: larger than 1 MiB (1048576 bytes)");
  }
  const auto expect = message[bhttp::field::expect];
  if (!expect.empty()) {
    if (!iequals(expect, "100-continue")) {
      return fail(ErrorCode::bad_framing, "Expect: only 100-continue is understood");
    }
    // A body is expected: answer 100 before reading it (HTTP/1.0 clients do not wait).
    wants_continue_ = version == 11 && !parser_->beast.is_done();
  }

  // The request as the router sees it, from the header section alone.
  pending_ = ReadRequest{};
  pending_.request.method = std::string(message.method_string());
  pending_.request.target = origin_form(message.target());
  pending_.request.headers.reserve(fields);
  for (const auto& field : message) {
    pending_.request.headers.emplace_back(std::string(field.name_string()),
                                          std::string(field.value()));
  }
  pending_.head = message.method() == bhttp::verb::head;
  pending_.keep_alive = message.keep_alive();
  pending_.version = version;
}

std::size_t RequestReader::feed(std::string_view bytes) {
  auto& beast = parser_->beast;
  std::size_t used = 0;
  while (state_ == State::need_more && !beast.is_done()) {
    const auto rest = bytes.substr(used);
    const bool in_header = !beast.is_header_done();
    if (in_header && raw_header_.empty()) {
      // The request line first: a too-long one is 414, not the header section's 431.
      const auto line_end = rest.find('\n');
      const auto line = line_end == std::string_view::npos ? rest.size() : line_end;
      if (line > limits_.request_line_bytes) {
        fail(ErrorCode::target_too_long,
             fmt::format("request line: longer than {} bytes", limits_.request_line_bytes));
        break;
      }
      if (line_end != std::string_view::npos && (line_end == 0 || rest[line_end - 1] != '\r')) {
        fail(ErrorCode::bad_framing, "request line: must end with CRLF");
        break;
      }
    }
    beast::error_code ec;
    const auto n = beast.put(boost::asio::const_buffer(rest.data(), rest.size()), ec);
    used += n;
    if (in_header) {
      // Beast parses a header in pieces and checks its limit per piece: the whole is counted
      // (and kept, for the checks that need its raw bytes) here.
      raw_header_.append(rest.substr(0, n));
      const std::size_t pending = beast.is_header_done() ? 0 : rest.size() - n;
      if (raw_header_.size() + pending > limits_.header_bytes) {
        fail(ErrorCode::header_too_large,
             fmt::format("header section: larger than {} bytes", limits_.header_bytes));
        break;
      }
    }
    if (ec == bhttp::error::need_more) {
      // Beast looks for CRLF and passes over a bare LF: a chunk or trailer line ended by LF
      // alone would wait for ever. (Waiting for a line is the only need_more that consumes
      // nothing once the header is done.)
      if (!in_header && n == 0 && beast.chunked()) {
        const auto lf = rest.find('\n');
        if (lf != std::string_view::npos && (lf == 0 || rest[lf - 1] != '\r')) {
          fail(ErrorCode::bad_framing, "chunked body: a line must end with CRLF");
        }
      }
      break;
    }
    if (ec) {
      auto [code, message] = beast_failure(ec);
      const auto line =
          (raw_header_.empty() ? rest : std::string_view(raw_header_)).substr(0, rest.find('\r'));
      if (ec == bhttp::error::bad_version && well_formed_version(line)) {
        code = ErrorCode::http_version;
        message = "HTTP version: only HTTP/1.0 and HTTP/1.1 are served";
      }
      fail(code, std::move(message));
      break;
    }
    if (beast.is_header_done() && !header_checked_) {
      header_checked_ = true;
      check_header(raw_header_);
    }
    if (n == 0) break;
  }
  if (state_ == State::need_more && beast.is_done()) {
    state_ = State::complete;
    wants_continue_ = false;
  }
  return used;
}

ReadRequest RequestReader::take() {
  ReadRequest out = std::move(pending_);
  out.request.body = std::move(parser_->beast.get().body());
  // A fresh parser for the next request on the connection.
  parser_ = std::make_unique<Parser>();
  parser_->beast.header_limit(static_cast<std::uint32_t>(limits_.header_bytes));
  parser_->beast.body_limit(limits_.body_bytes);
  parser_->beast.eager(false);
  pending_ = ReadRequest{};
  raw_header_.clear();
  header_checked_ = false;
  state_ = State::need_more;
  wants_continue_ = false;
  return out;
}

}  // namespace herald::server
