// Secrets as herald sees them: a name and the events it subscribes to. herald never receives
// a secret's value.
//
// Thread-safety: plain values.
#pragma once

#include "herald/export.hpp"

#include <optional>

#include <string>
#include <string_view>
#include <vector>
#include "herald/clock.hpp"

namespace herald {

/// The kind of secret a lifecycle event concerns; carried into messages and records.
enum class SecretType {
  common,      ///< "COMMON"
  rds_fg,      ///< "RDS-FG"
  gaussdb_fg,  ///< "GaussDB-FG"
};

/// The wire spelling, e.g. "RDS-FG".
[[nodiscard]] HERALD_EXPORT std::string_view to_string(SecretType type) noexcept;
/// The SecretType spelled exactly `text` (case matters), or nullopt.
[[nodiscard]] HERALD_EXPORT std::optional<SecretType> parse_secret_type(
    std::string_view text) noexcept;

/// A secret's subscriptions (the `event_subscriptions` of the CSMS Secret object).
struct HERALD_EXPORT Secret {
  std::string name;                              ///< 1–64 chars of letters, digits, `.`, `_`, `-`
  std::vector<std::string> event_subscriptions;  ///< event names, in the order they were set

  friend bool operator==(const Secret&, const Secret&) = default;
};

/// A version's expiry, as the version metadata carries it.
struct HERALD_EXPORT VersionExpiry {
  std::string secret_name;
  std::string version_id;
  std::optional<TimePoint> expire_time;  ///< nullopt: no expiry armed

  friend bool operator==(const VersionExpiry&, const VersionExpiry&) = default;
};

}  // namespace herald
