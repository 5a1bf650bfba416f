// Random UUIDs (version 4), lower-case 8-4-4-4-12, for event ids and notification ids.
#pragma once

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

/// A new random UUID v4. Safe for concurrent use (a generator per thread).
[[nodiscard]] Uuid new_uuid_v4_bytes();

/// The UUID spelled `text` in the 8-4-4-4-12 form (either case), or nullopt.
[[nodiscard]] std::optional<Uuid> parse_uuid(std::string_view text) noexcept;

/// Lower-case 8-4-4-4-12 text of `uuid`.
[[nodiscard]] std::string to_string(const Uuid& uuid);

/// A new random UUID v4. Safe for concurrent use: each thread draws from its own generator,
/// seeded from std::random_device.
[[nodiscard]] std::string new_uuid_v4();

/// Whether `text` is a lower-case UUID in the 8-4-4-4-12 form.
[[nodiscard]] bool is_lower_case_uuid(std::string_view text) noexcept;

}  // namespace herald::detail
