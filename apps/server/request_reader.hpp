// herald::server::RequestReader: turns the bytes of one HTTP/1.1 connection into requests for
// the RestRouter, or into the answer a malformed message gets. It wraps Boost.Beast's parser
// and adds what a careful server checks on top of it (RFC 9110, RFC 9112):
// - the request's headers are the header section alone: chunked trailer fields never become
//   headers (so a token in a trailer authenticates nothing);
// - obs-fold, a Transfer-Encoding other than `chunked` (501 for a coding herald does not decode,
//   400 when chunked is not the last), Transfer-Encoding on HTTP/1.0, Content-Length with
//   Transfer-Encoding, conflicting Content-Lengths, bad chunk framing, a missing or repeated Host
//   on HTTP/1.1: 400 and the connection closes;
// - a request line over ReadLimits::target_bytes: 414; a header section over its bytes or field
//   count: 431; a declared or decoded body over body_bytes: 413; not HTTP/1.x: 505;
// - `Expect: 100-continue` is reported so that the transport can answer it;
// - absolute-form targets (`http://host/path`) are reduced to their origin form.
//
// Not thread-safe: one reader per connection. No I/O: the transport feeds it bytes.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "herald/error.hpp"
#include "herald/rest.hpp"

namespace herald::server {

struct ReadLimits {
  /// Longest request line (method, target, version). Default: 16 KiB.
  std::size_t request_line_bytes = 16 * 1024;
  /// Largest header section, request line included. Default: 64 KiB.
  std::size_t header_bytes = 64 * 1024;
  /// Most header fields. Default: 100.
  std::size_t header_fields = 100;
  /// Largest body, after chunked decoding. Default: the router's 1 MiB.
  std::size_t body_bytes = k_max_body_bytes;
};

/// A complete request, as the router takes it.
struct ReadRequest {
  HttpRequest request;
  bool head = false;        ///< a HEAD request: answer with the GET's headers and no body
  bool keep_alive = false;  ///< whether the connection may carry another request after this one
  unsigned version = 11;    ///< 10 or 11: the response speaks the request's version
};

class RequestReader {
 public:
  enum class State {
    need_more,  ///< feed more bytes
    complete,   ///< take() the request
    failed,     ///< answer failure() and close the connection
  };

  explicit RequestReader(ReadLimits limits = {});
  ~RequestReader();
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  /// Parses from `bytes`, the connection's unread input from where the last call stopped
  /// consuming. Answers how many bytes were consumed; bytes not consumed must be fed again,
  /// with more after them. Does nothing unless state() is need_more.
  std::size_t feed(std::string_view bytes);

  [[nodiscard]] State state() const noexcept { return state_; }

  /// Whether the header is read and the client waits for `100 Continue` before its body.
  /// Cleared by continue_sent().
  [[nodiscard]] bool wants_continue() const noexcept { return wants_continue_; }
  void continue_sent() noexcept { wants_continue_ = false; }

  /// Whether the header section is complete (the body may still be coming).
  [[nodiscard]] bool header_done() const noexcept;

  /// Requires: state() is complete. The request; the reader is ready for the next one.
  ReadRequest take();

  /// Requires: state() is failed. What the malformed message gets (its status names it).
  [[nodiscard]] const Error& failure() const;

 private:
  void fail(ErrorCode code, std::string message);
  void check_header(std::string_view raw_header);

  struct Parser;
  ReadLimits limits_;
  std::unique_ptr<Parser> parser_;
  State state_ = State::need_more;
  bool wants_continue_ = false;
  bool header_checked_ = false;
  std::string raw_header_;  // the header section as received, while it is read
  std::optional<Error> failure_;
  ReadRequest pending_;  // method, target and headers, from the header section
};

/// The origin form of `target`: an absolute-form target (`http://host:port/path?q`) loses its
/// scheme and authority (`/path?q`, or `/` when it has no path); anything else is unchanged.
[[nodiscard]] std::string origin_form(std::string_view target);

}  // namespace herald::server
