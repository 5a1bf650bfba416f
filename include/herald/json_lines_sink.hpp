// A sink that appends each message to a file, one JSON message per line, flushed per message.
//
// Thread-safety: the returned sink may be called from several threads at once; lines are never
// interleaved. Lifetime: the file stays open until the last copy of the sink is destroyed.
#pragma once

#include "herald/export.hpp"

#include <filesystem>

#include "herald/error.hpp"
#include "herald/sink.hpp"

namespace herald {

/// Opens `path` for appending (creating it) and answers the sink. A failed write or flush
/// answers failed (FAIL) with the reason.
/// Errors: unavailable (the file cannot be opened; the message names the path and why).
[[nodiscard]] HERALD_EXPORT Result<SinkFunction> json_lines_file_sink(
    const std::filesystem::path& path);

}  // namespace herald
