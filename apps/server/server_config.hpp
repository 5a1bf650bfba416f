// herald-server's configuration file (contract §7): TOML whose keys are the long flags without
// their dashes. Read with toml++ (Debian libtomlplusplus-dev), in server_config.cpp alone.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "herald/error.hpp"

namespace herald::server {

/// One argument and where it came from ("the command line" or "FILE: key NAME"), so that a bad
/// value's message names its origin.
struct Argument {
  std::string text;
  std::string origin;
};

/// The arguments `file` stands for: `name = "v"` or `name = 5` is `--name v`, `name = true` is
/// `--name` (false: nothing), an array of strings one `--name item` per item. `flags` lists the
/// keys allowed (value flags) and `switches` the boolean ones. Errors: invalid_argument naming
/// the file and the key or line (unreadable file, TOML syntax, an unknown key, a value of the
/// wrong type); the message never quotes a value.
[[nodiscard]] Result<std::vector<Argument>> config_arguments(
    const std::filesystem::path& file, const std::vector<std::string>& flags,
    const std::vector<std::string>& switches);

}  // namespace herald::server
