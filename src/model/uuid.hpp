// Random UUIDs (version 4), lower-case 8-4-4-4-12, for event ids and notification ids.
#pragma once

#include <string>

namespace herald::detail {

/// A new random UUID v4. Safe for concurrent use: each thread draws from its own generator,
/// seeded from std::random_device.
[[nodiscard]] std::string new_uuid_v4();

/// Whether `text` is a lower-case UUID in the 8-4-4-4-12 form.
[[nodiscard]] bool is_lower_case_uuid(std::string_view text) noexcept;

}  // namespace herald::detail
