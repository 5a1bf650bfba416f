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
    case ErrorCode::bad_framing: return "HERALD.0400";
    case ErrorCode::target_too_long: return "HERALD.0414";
    case ErrorCode::header_too_large: return "HERALD.0431";
    case ErrorCode::not_implemented: return "HERALD.0501";
    case ErrorCode::http_version: return "HERALD.0505";
    case ErrorCode::unavailable: return "HERALD.0503";
    case ErrorCode::internal: return "HERALD.0500";
  }
  return "HERALD.0500";
}

int http_status(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument:
    case ErrorCode::malformed_request:
    case ErrorCode::bad_framing:
    case ErrorCode::already_exists:
    case ErrorCode::in_use:
    case ErrorCode::quota_exceeded: return 400;
    case ErrorCode::unauthenticated: return 401;
    case ErrorCode::forbidden: return 403;
    case ErrorCode::not_found:
    case ErrorCode::no_such_route: return 404;
    case ErrorCode::method_not_allowed: return 405;
    case ErrorCode::body_too_large: return 413;
    case ErrorCode::target_too_long: return 414;
    case ErrorCode::header_too_large: return 431;
    case ErrorCode::not_implemented: return 501;
    case ErrorCode::http_version: return 505;
    case ErrorCode::unavailable: return 503;
    case ErrorCode::internal: return 500;
  }
  return 500;
}

}  // namespace herald
