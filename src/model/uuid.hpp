// Random UUIDs (version 4), lower-case 8-4-4-4-12, for event ids and notification ids.
#pragma once

#include "herald/export.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::detail {

/// A UUID's 16 bytes.
struct Uuid {
  std::array<std::uint8_t, 16> bytes{};
  friend bool operator==(const Uuid&, const Uuid&) = default;
};

/// The length of a UUID's text, 8-4-4-4-12.
inline constexpr std::size_t k_uuid_text_size = 36;

/// A new random UUID v4, from OpenSSL's CSPRNG (buffered per thread). Safe for concurrent use.
/// Throws std::runtime_error when the generator cannot be seeded.
[[nodiscard]] Uuid new_uuid_v4_bytes();

/// A new UUID v7 (RFC 9562): the 48-bit Unix time in ms `unix_ms` first, then 74 random bits
/// (as new_uuid_v4_bytes). Ids made later sort after (per ms; within one ms in random order),
/// so that an index of them grows at one end. Throws as new_uuid_v4_bytes.
[[nodiscard]] Uuid new_uuid_v7_bytes(std::int64_t unix_ms);

/// Writes the lower-case 8-4-4-4-12 text of `uuid` to out[0..36).
void write_uuid(const Uuid& uuid, char* out) noexcept;

/// The UUID spelled `text` in the 8-4-4-4-12 form (either case), or nullopt.
[[nodiscard]] std::optional<Uuid> parse_uuid(std::string_view text) noexcept;

/// Lower-case 8-4-4-4-12 text of `uuid`.
[[nodiscard]] std::string to_string(const Uuid& uuid);

/// A new random UUID v4, as text.
// Exported: herald::api makes request ids with it (a shared build).
[[nodiscard]] HERALD_EXPORT std::string new_uuid_v4();

/// Whether `text` is a lower-case UUID in the 8-4-4-4-12 form.
[[nodiscard]] bool is_lower_case_uuid(std::string_view text) noexcept;

}  // namespace herald::detail
