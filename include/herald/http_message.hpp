// herald::HttpRequest and herald::HttpResponse: one HTTP message without a transport, as the
// REST router takes and answers it and as the AK/SK signer reads it (herald/aksk.hpp).
//
// Thread-safety: plain values.
#pragma once

#include "herald/api_export.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald {

struct HERALD_API_EXPORT HttpRequest {
  std::string method;  ///< "GET", "POST", …
  std::string
      target;  ///< origin-form as sent: path and optional query, "/v1/p/csms/events?limit=2"
  std::vector<std::pair<std::string, std::string>> headers;  ///< names compared case-insensitively
  std::string body;

  /// The first header named `name` (case-insensitive), or empty.
  [[nodiscard]] std::string_view header(std::string_view name) const;
  /// How many headers are named `name` (case-insensitive).
  [[nodiscard]] std::size_t header_count(std::string_view name) const;
};

struct HERALD_API_EXPORT HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// The first header named `name` (case-insensitive), or empty.
  [[nodiscard]] std::string_view header(std::string_view name) const;
};

}  // namespace herald
