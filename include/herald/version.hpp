// herald's version, defined once: CMake reads the three numbers below (see CMakeLists.txt).
#pragma once

#define HERALD_VERSION_MAJOR 0
#define HERALD_VERSION_MINOR 1
#define HERALD_VERSION_PATCH 0

namespace herald {

/// The library's version as "MAJOR.MINOR.PATCH".
inline constexpr const char* k_version = "0.1.0";

}  // namespace herald
