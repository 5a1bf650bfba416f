// herald::Error and herald::Result<T>: how every fallible call of the public API answers.
//
// Errors are values. An Error carries a code (what went wrong, for programs), the CSMS wire code
// and HTTP status that the REST facade answers with, and a message for people that names the
// offending field. A message never contains a secret value or a token.
//
// Thread-safety: plain values; a const Error or Result may be read from any number of threads.
#pragma once

#include "herald/export.hpp"

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace herald {

/// What went wrong. Each code has one wire code and one HTTP status (see wire_code, http_status).
enum class ErrorCode {
  invalid_argument,    ///< a field is missing or outside its rules: 400 CSMS.0002
  malformed_request,   ///< malformed JSON, wrong JSON type, body not an object: 400 CSMS.0004
  not_found,           ///< the named event or secret does not exist: 404 CSMS.0005
  no_such_route,       ///< unknown path: 404 CSMS.0003
  method_not_allowed,  ///< known path, wrong method: 405 CSMS.0003
  already_exists,      ///< an event of that name exists in the project: 400 HERALD.1001
  in_use,              ///< the event still has subscribing secrets: 400 HERALD.1002
  quota_exceeded,      ///< a configured quota would be exceeded: 400 HERALD.1003
  unauthenticated,     ///< missing or unknown token: 401 HERALD.0401
  forbidden,           ///< the token belongs to another project: 403 HERALD.0403
  body_too_large,      ///< request body over the limit: 413 HERALD.0413
  bad_framing,         ///< the HTTP message itself is malformed (framing, syntax): 400 HERALD.0400
  target_too_long,     ///< the request line is over the limit: 414 HERALD.0414
  header_too_large,    ///< the header section is over its size or field count: 431 HERALD.0431
  not_implemented,     ///< a transfer coding herald does not decode: 501 HERALD.0501
  http_version,        ///< not HTTP/1.0 or HTTP/1.1: 505 HERALD.0505
  unavailable,         ///< a resource (the store, the delivery queue) cannot take the request now;
                       ///< trying again later may succeed: 503 HERALD.0503 with Retry-After
  internal,            ///< a bug or an unexpected failure, without detail: 500 HERALD.0500
};

/// The wire code of `code`, e.g. "CSMS.0002".
[[nodiscard]] HERALD_EXPORT std::string_view wire_code(ErrorCode code) noexcept;

/// The HTTP status the REST facade answers `code` with, e.g. 400.
[[nodiscard]] HERALD_EXPORT int http_status(ErrorCode code) noexcept;

/// A failure: a code and a message for people. Cheap to move.
class HERALD_EXPORT Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  [[nodiscard]] ErrorCode code() const noexcept { return code_; }
  [[nodiscard]] std::string_view wire_code() const noexcept { return herald::wire_code(code_); }
  [[nodiscard]] int http_status() const noexcept { return herald::http_status(code_); }
  /// Names the offending field or object, e.g. "name: must match ^[a-zA-Z0-9_-]{1,64}$".
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

  friend bool operator==(const Error&, const Error&) = default;

 private:
  ErrorCode code_;
  std::string message_;
};

/// Either a T or an Error. Test with `ok()` (or contextually as bool); `value()` and `error()`
/// require the matching state (checked by assert in debug builds).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// Requires: ok(). On a temporary Result the value is moved out (returned by value), so that
  /// `for (auto& x : f().value())` does not refer into a destroyed Result.
  [[nodiscard]] T& value() & { return checked_value(); }
  [[nodiscard]] const T& value() const& { return const_cast<Result*>(this)->checked_value(); }
  [[nodiscard]] T value() && { return std::move(checked_value()); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  /// Requires: !ok().
  [[nodiscard]] const Error& error() const& {
    assert(!ok());
    return std::get<1>(state_);
  }
  [[nodiscard]] Error error() && {
    assert(!ok());
    return std::get<1>(std::move(state_));
  }

 private:
  T& checked_value() {
    assert(ok());
    return std::get<0>(state_);
  }
  std::variant<T, Error> state_;
};

/// The Result of an operation that returns nothing on success.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit by design

  [[nodiscard]] bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }

  /// Requires: !ok().
  [[nodiscard]] const Error& error() const& {
    assert(failed_);
    return error_;
  }

 private:
  Error error_{ErrorCode::internal, {}};
  bool failed_ = false;
};

}  // namespace herald
