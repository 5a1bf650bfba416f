// Paging of list calls, as CSMS pages: items ordered by name, `marker` is the name of the last
// item of the previous page, and the next page starts strictly after it.
//
// Thread-safety: plain values.
#pragma once

#include "herald/export.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/error.hpp"

namespace herald {

inline constexpr std::size_t k_default_page_limit = 50;
inline constexpr std::size_t k_max_page_limit = 1000;

/// Which page to list.
struct HERALD_EXPORT PageQuery {
  /// Items per page, 1..1000. Default: 50, as CSMS.
  std::size_t limit = k_default_page_limit;
  /// Start strictly after this name; empty starts at the first item. A well-formed marker that
  /// names no item is not an error: the page starts after where it would sort.
  std::string marker;
};

/// Parses `limit` as it arrives in a query string: absent or empty gives the default (50);
/// otherwise only decimal digits with a value of 1..1000.
/// Errors: invalid_argument (CSMS.0002) naming `limit`, for anything else ("0", "-1", "1001",
/// "abc", " 5", "+5").
[[nodiscard]] HERALD_EXPORT Result<std::size_t> parse_page_limit(
    std::optional<std::string_view> text);

/// The `page_info` of a list answer.
struct HERALD_EXPORT PageInfo {
  /// The name of this page's last item when a further page exists; nullopt on the last page.
  std::optional<std::string> next_marker;
  /// The marker this page was asked with; nullopt on the first page.
  std::optional<std::string> previous_marker;
  /// How many items this page holds.
  std::size_t current_count = 0;

  friend bool operator==(const PageInfo&, const PageInfo&) = default;
};

/// One page of a list call.
template <typename T>
struct Page {
  std::vector<T> items;
  PageInfo page_info;
};

}  // namespace herald
