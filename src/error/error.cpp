#include "herald/error.hpp"

namespace herald {

std::string_view wire_code(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument: return "CSMS.0002";
    case ErrorCode::malformed_request: return "CSMS.0004";
    case ErrorCode::not_found: return "CSMS.0005";
    case ErrorCode::no_such_route:
    case ErrorCode::method_not_allowed: return "CSMS.0003";
    case ErrorCode::already_exists: return "HERALD.1001";
    case ErrorCode::in_use: return "HERALD.1002";
    case ErrorCode::quota_exceeded: return "HERALD.1003";
    case ErrorCode::unauthenticated: return "HERALD.0401";
    case ErrorCode::forbidden: return "HERALD.0403";
    case ErrorCode::body_too_large: return "HERALD.0413";
    case ErrorCode::unavailable:
    case ErrorCode::internal: return "HERALD.0500";
  }
  return "HERALD.0500";
}

int http_status(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument:
    case ErrorCode::malformed_request:
    case ErrorCode::already_exists:
    case ErrorCode::in_use:
    case ErrorCode::quota_exceeded: return 400;
    case ErrorCode::unauthenticated: return 401;
    case ErrorCode::forbidden: return 403;
    case ErrorCode::not_found:
    case ErrorCode::no_such_route: return 404;
    case ErrorCode::method_not_allowed: return 405;
    case ErrorCode::body_too_large: return 413;
    case ErrorCode::unavailable:
    case ErrorCode::internal: return 500;
  }
  return 500;
}

}  // namespace herald
