// AK/SK signing and verification (spec/sdk-signing.md §4–§6). SHA-256 and HMAC are OpenSSL's
// (EVP), the comparison is CRYPTO_memcmp.
#include "herald/aksk.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>
#include <utility>
#include <vector>

namespace herald::aksk {
namespace {

constexpr char k_hex_upper[] = "0123456789ABCDEF";
constexpr char k_hex_lower[] = "0123456789abcdef";

using Digest = std::array<unsigned char, 32>;

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

void append_encoded(std::string& out, unsigned char c) {
  if (unreserved(c)) {
    out.push_back(static_cast<char>(c));
  } else {
    out += {'%', k_hex_upper[c >> 4], k_hex_upper[c & 15]};
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte of the escape at text[i] ('%' and two hex digits), or -1.
int escaped_byte(std::string_view text, std::size_t i) {
  if (i + 2 >= text.size()) return -1;
  const int high = hex_value(text[i + 1]);
  const int low = hex_value(text[i + 2]);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

// Percent-decoding as the SDK's parameters were before it encoded them: a '%' that starts no
// escape stays itself; '+' is a plus (the SDK never sends a bare '+' for a space).
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int byte = text[i] == '%' ? escaped_byte(text, i) : -1;
    if (byte >= 0) {
      out.push_back(static_cast<char>(byte));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string hex(std::span<const unsigned char> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char b : bytes) out += {k_hex_lower[b >> 4], k_hex_lower[b & 15]};
  return out;
}

Digest sha256(std::string_view data) {
  Digest digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    throw std::runtime_error("OpenSSL SHA-256 failed");
  }
  return digest;
}

Digest hmac_sha256(std::string_view key, std::string_view message) {
  Digest digest{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
           &length) == nullptr ||
      length != digest.size()) {
    throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
  }
  return digest;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

Error unauthenticated(std::string message) {
  return Error{ErrorCode::unauthenticated, std::move(message)};
}

// A lower-case HTTP field name (RFC 9110 token).
bool header_name(std::string_view name) {
  constexpr std::string_view k_tchar = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           k_tchar.find(c) != std::string_view::npos;
  });
}

struct Authorization {
  std::string access_key;
  std::vector<std::string> signed_headers;
  Digest signature{};
};

constexpr std::string_view k_format =
    "Authorization: not an SDK-HMAC-SHA256 signature (expected \"SDK-HMAC-SHA256 Access=AK, "
    "SignedHeaders=a;b, Signature=<64 hex digits>\")";

Result<Authorization> parse_authorization(std::string_view text) {
  if (!text.starts_with(k_algorithm) || text.substr(k_algorithm.size(), 1) != " ") {
    return unauthenticated(std::string(k_format));
  }
  text.remove_prefix(k_algorithm.size() + 1);
  Authorization parsed;
  bool access = false;
  bool headers = false;
  bool signature = false;
  while (true) {
    const auto comma = text.find(',');
    const std::string_view field = trim(text.substr(0, comma));
    const auto eq = field.find('=');
    if (eq == std::string_view::npos) return unauthenticated(std::string(k_format));
    const std::string_view name = field.substr(0, eq);
    const std::string_view value = field.substr(eq + 1);
    if (name == "Access" && !access) {
      access = true;
      if (value.empty() || value.size() > k_max_access_key_bytes) {
        return unauthenticated(fmt::format("Authorization: Access must be 1 to {} characters",
                                           k_max_access_key_bytes));
      }
      parsed.access_key = std::string(value);
    } else if (name == "SignedHeaders" && !headers) {
      headers = true;
      for (std::string_view rest = value;;) {
        const auto semicolon = rest.find(';');
        const std::string_view header = rest.substr(0, semicolon);
        if (!header_name(header)) {
          return unauthenticated(
              "Authorization: SignedHeaders must be lower-case header names joined by ';'");
        }
        if (std::find(parsed.signed_headers.begin(), parsed.signed_headers.end(), header) !=
            parsed.signed_headers.end()) {
          return unauthenticated("Authorization: SignedHeaders names a header twice");
        }
        if (parsed.signed_headers.size() == k_max_signed_headers) {
          return unauthenticated(fmt::format(
              "Authorization: SignedHeaders names more than {} headers", k_max_signed_headers));
        }
        parsed.signed_headers.emplace_back(header);
        if (semicolon == std::string_view::npos) break;
        rest.remove_prefix(semicolon + 1);
      }
    } else if (name == "Signature" && !signature) {
      signature = true;
      if (value.size() != 64) {
        return unauthenticated("Authorization: Signature must be 64 hex digits");
      }
      for (std::size_t i = 0; i < parsed.signature.size(); ++i) {
        const int high = hex_value(value[2 * i]);
        const int low = hex_value(value[2 * i + 1]);
        if (high < 0 || low < 0) {
          return unauthenticated("Authorization: Signature must be 64 hex digits");
        }
        parsed.signature[i] = static_cast<unsigned char>(high * 16 + low);
      }
    } else {
      return unauthenticated(std::string(k_format));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (!access || !headers || !signature) return unauthenticated(std::string(k_format));
  return parsed;
}

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::string encode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) append_encoded(out, static_cast<unsigned char>(c));
  return out;
}

std::string canonical_uri(std::string_view raw_path) {
  std::string out;
  out.reserve(raw_path.size() + 8);
  for (std::size_t i = 0; i < raw_path.size(); ++i) {
    const char c = raw_path[i];
    if (c == '/') {
      out.push_back('/');
    } else if (c == '%' && escaped_byte(raw_path, i) >= 0) {
      const int byte = escaped_byte(raw_path, i);
      if (byte >= 0x80) {
        // url.parse sent this byte raw; E escapes it once.
        append_encoded(out, static_cast<unsigned char>(byte));
      } else {
        // url.parse kept the escape; E escapes its '%' (the two hex digits stay).
        out += "%25";
        out += raw_path.substr(i + 1, 2);
      }
      i += 2;
    } else if (c == '\'' || c == '|' || c == '^') {
      // url.parse escaped these, the WHATWG URL sends them raw.
      out += "%25";
      out += {k_hex_upper[static_cast<unsigned char>(c) >> 4],
              k_hex_upper[static_cast<unsigned char>(c) & 15]};
    } else {
      append_encoded(out, static_cast<unsigned char>(c));
    }
  }
  if (!out.ends_with('/')) out.push_back('/');
  return out;
}

std::string canonical_query(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!raw_query.empty()) {
    const auto amp = raw_query.find('&');
    const std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view{} : raw_query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    pairs.emplace_back(
        encode(percent_decode(pair.substr(0, eq))),
        encode(percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1))));
  }
  // By name, then value (the SDK sorts the names; an array's values are sorted too).
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

Result<std::string> canonical_request(const HttpRequest& request,
                                      std::span<const std::string> signed_headers) {
  const std::string_view target = request.target;
  const auto question = target.find('?');
  std::string out = request.method;
  out.push_back('\n');
  out += canonical_uri(target.substr(0, question));
  out.push_back('\n');
  if (question != std::string_view::npos) out += canonical_query(target.substr(question + 1));
  out.push_back('\n');
  for (const auto& name : signed_headers) {
    const std::size_t count = request.header_count(name);
    if (count == 0) {
      return unauthenticated(
          fmt::format("Authorization: the signed header {} is not in the request", name));
    }
    if (count > 1) {
      return unauthenticated(fmt::format("{}: a signed header given more than once", name));
    }
    out += name;
    out.push_back(':');
    out += request.header(name);
    out.push_back('\n');
  }
  out.push_back('\n');
  for (std::size_t i = 0; i < signed_headers.size(); ++i) {
    if (i > 0) out.push_back(';');
    out += signed_headers[i];
  }
  out.push_back('\n');
  // X-Sdk-Content-Sha256, when signed, stands for the body's hash (UNSIGNED-PAYLOAD).
  if (std::find(signed_headers.begin(), signed_headers.end(), "x-sdk-content-sha256") !=
      signed_headers.end()) {
    out += request.header("x-sdk-content-sha256");
  } else {
    out += hex(sha256(request.body));
  }
  return out;
}

std::string string_to_sign(std::string_view sdk_date, std::string_view canonical_request) {
  return fmt::format("{}\n{}\n{}", k_algorithm, sdk_date, hex(sha256(canonical_request)));
}

std::string signature(std::string_view secret_key, std::string_view string_to_sign) {
  return hex(hmac_sha256(secret_key, string_to_sign));
}

std::string format_sdk_date(std::chrono::system_clock::time_point t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  const auto days = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss time{seconds - days};
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count());
}

std::optional<std::chrono::sys_seconds> parse_sdk_date(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  const auto number = [&](std::size_t at, std::size_t length) -> std::optional<int> {
    int value = 0;
    const char* first = text.data() + at;
    const auto [end, ec] = std::from_chars(first, first + length, value);
    if (ec != std::errc{} || end != first + length || *first == '-' || *first == '+') {
      return std::nullopt;
    }
    return value;
  };
  const auto year = number(0, 4);
  const auto month = number(4, 2);
  const auto day = number(6, 2);
  const auto hour = number(9, 2);
  const auto minute = number(11, 2);
  const auto second = number(13, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  return std::chrono::sys_days{date} + std::chrono::hours{*hour} + std::chrono::minutes{*minute} +
         std::chrono::seconds{*second};
}

Result<void> sign(HttpRequest& request, std::string_view access_key, std::string_view secret_key,
                  std::string_view sdk_date) {
  if (request.header_count("host") != 1) {
    return Error{ErrorCode::invalid_argument, "Host: the request needs exactly one Host header"};
  }
  std::erase_if(request.headers, [](const auto& header) {
    return iequals(header.first, "authorization") || iequals(header.first, "x-sdk-date");
  });
  request.headers.emplace_back("X-Sdk-Date", sdk_date.empty()
                                                 ? format_sdk_date(std::chrono::system_clock::now())
                                                 : std::string(sdk_date));
  // The SDK signs what it set itself, in byte order of the lower-case names.
  std::vector<std::string> names;
  for (const std::string_view name : {"content-type", "host", "x-project-id", "x-sdk-date"}) {
    if (request.header_count(name) > 0) names.emplace_back(name);
  }
  auto canonical = canonical_request(request, names);
  if (!canonical) return std::move(canonical).error();
  const std::string date(request.header("x-sdk-date"));
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ";") + name;
  request.headers.emplace_back(
      "Authorization",
      fmt::format("{} Access={}, SignedHeaders={}, Signature={}", k_algorithm, access_key, joined,
                  signature(secret_key, string_to_sign(date, *canonical))));
  return {};
}

Result<Credential> verify(const HttpRequest& request, const CredentialLookup& lookup,
                          TimePoint now) {
  if (request.header_count("authorization") != 1) {
    return unauthenticated("Authorization: give exactly one");
  }
  auto parsed = parse_authorization(request.header("authorization"));
  if (!parsed) return std::move(parsed).error();
  auto credential = lookup(parsed->access_key);
  if (!credential) return unauthenticated("Authorization: unknown access key");
  for (const std::string_view required : {"host", "x-sdk-date"}) {
    if (!contains(parsed->signed_headers, required)) {
      return unauthenticated(
          fmt::format("Authorization: the signature must cover the {} header", required));
    }
  }
  auto canonical = canonical_request(request, parsed->signed_headers);
  if (!canonical) return std::move(canonical).error();
  const std::string_view date_text = request.header("x-sdk-date");
  const auto date = parse_sdk_date(date_text);
  if (!date) return unauthenticated("X-Sdk-Date: must be YYYYMMDDTHHMMSSZ (UTC)");
  const auto distance = *date > now ? *date - now : now - *date;
  if (distance > k_date_window) {
    return unauthenticated(
        fmt::format("X-Sdk-Date: more than {} minutes from the server's clock (now {})",
                    k_date_window.count(), format_sdk_date(now)));
  }
  const Digest expected =
      hmac_sha256(credential->secret_key, string_to_sign(date_text, *canonical));
  if (CRYPTO_memcmp(expected.data(), parsed->signature.data(), expected.size()) != 0) {
    return unauthenticated("Authorization: the signature does not match the request");
  }
  return std::move(*credential);
}

}  // namespace herald::aksk
