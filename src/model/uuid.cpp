#include "model/uuid.hpp"

#include <openssl/rand.h>
#include <pthread.h>
#include <array>
#include <cstdint>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>

namespace herald::detail {
namespace {

// Random bytes from OpenSSL's CSPRNG, drawn 4 KiB at a time per thread: one RAND_bytes call
// serves 256 UUIDs, so that an id costs neither a system call nor a heavy generator each time.
// A fork makes every buffer stale (the child would repeat the parent's ids): the fork count
// is compared on each draw.
std::atomic<std::uint64_t> g_forks{0};
const bool g_fork_handler = [] {
  ::pthread_atfork(nullptr, nullptr, [] { g_forks.fetch_add(1, std::memory_order_relaxed); });
  return true;
}();

struct RandomBuffer {
  std::array<std::uint8_t, 4096> bytes{};
  std::size_t used = sizeof(bytes);
  std::uint64_t forks = 0;

  const std::uint8_t* take16() {
    const auto forks_now = g_forks.load(std::memory_order_relaxed);
    if (used + 16 > bytes.size() || forks != forks_now) {
      if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        // OpenSSL could not seed its generator: no id is better than a guessable one.
        throw std::runtime_error("herald: the random generator (OpenSSL RAND_bytes) failed");
      }
      used = 0;
      forks = forks_now;
    }
    const std::uint8_t* out = bytes.data() + used;
    used += 16;
    return out;
  }
};

Uuid random_uuid() {
  (void)g_fork_handler;
  thread_local RandomBuffer buffer;
  Uuid uuid;
  std::memcpy(uuid.bytes.data(), buffer.take16(), 16);
  uuid.bytes[6] = static_cast<std::uint8_t>((uuid.bytes[6] & 0x0f) | 0x40);  // version 4
  uuid.bytes[8] = static_cast<std::uint8_t>((uuid.bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return uuid;
}

}  // namespace

Uuid new_uuid_v4_bytes() { return random_uuid(); }

Uuid new_uuid_v7_bytes(std::int64_t unix_ms) {
  Uuid uuid = random_uuid();
  const auto ms = static_cast<std::uint64_t>(std::max<std::int64_t>(unix_ms, 0));
  for (int i = 0; i < 6; ++i) uuid.bytes[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  uuid.bytes[6] = static_cast<std::uint8_t>((uuid.bytes[6] & 0x0f) | 0x70);  // version 7
  return uuid;
}

namespace {
// Two hex digits per byte value: one load per byte instead of two shifts and two loads.
constexpr auto k_hex_pairs = [] {
  constexpr std::string_view hex = "0123456789abcdef";
  std::array<char, 512> pairs{};
  for (std::size_t b = 0; b < 256; ++b) {
    pairs[2 * b] = hex[b >> 4];
    pairs[2 * b + 1] = hex[b & 0x0f];
  }
  return pairs;
}();
// Where byte i's two digits go in "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
constexpr std::array<std::uint8_t, 16> k_positions = {0,  2,  4,  6,  9,  11, 14, 16,
                                                      19, 21, 24, 26, 28, 30, 32, 34};
}  // namespace

void write_uuid(const Uuid& uuid, char* out) noexcept {
  for (std::size_t i = 0; i < uuid.bytes.size(); ++i) {
    std::memcpy(out + k_positions[i], &k_hex_pairs[2 * std::size_t{uuid.bytes[i]}], 2);
  }
  out[8] = out[13] = out[18] = out[23] = '-';
}

std::string to_string(const Uuid& uuid) {
  std::string text(k_uuid_text_size, '-');
  write_uuid(uuid, text.data());
  return text;
}

std::string new_uuid_v4() { return to_string(new_uuid_v4_bytes()); }

std::optional<Uuid> parse_uuid(std::string_view text) noexcept {
  if (text.size() != 36) return std::nullopt;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Uuid uuid;
  std::size_t at = 0;
  for (std::size_t i = 0; i < uuid.bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      if (text[at++] != '-') return std::nullopt;
    }
    const int high = nibble(text[at++]);
    const int low = nibble(text[at++]);
    if (high < 0 || low < 0) return std::nullopt;
    uuid.bytes[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return uuid;
}

bool is_lower_case_uuid(std::string_view text) noexcept {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace herald::detail
