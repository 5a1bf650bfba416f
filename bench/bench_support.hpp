// Shared set-up of herald's benchmarks: secret names, a shuffled access order, and memory
// readings. Everything here runs outside the timed loops.
#pragma once

#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace herald::bench {

/// "secret-00001234": realistic, distinct, and short enough for the small-string buffer.
inline std::string secret_name(std::size_t i) {
  std::string digits = std::to_string(i);
  return "secret-" + std::string(digits.size() < 8 ? 8 - digits.size() : 0, '0') + digits;
}

/// Benchmarks hold far more secrets than the public quota (500 per project) allows.
inline constexpr std::size_t k_unlimited = static_cast<std::size_t>(-1);

inline std::vector<std::string> secret_names(std::size_t count) {
  std::vector<std::string> names;
  names.reserve(count);
  for (std::size_t i = 0; i < count; ++i) names.push_back(secret_name(i));
  return names;
}

/// A random permutation of 0..count-1, repeated to `length`: the order in which a benchmark
/// visits secrets, so that the access pattern is random like real traffic.
inline std::vector<std::uint32_t> shuffled_order(std::size_t count, std::size_t length = 1 << 20,
                                                 unsigned seed = 42) {
  std::vector<std::uint32_t> order(std::max(count, length));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i % count);
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  return order;
}

/// Bytes the allocator has handed out right now (mallinfo2, main arena and mmaps).
inline std::size_t allocated_bytes() {
  const auto info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

}  // namespace herald::bench
