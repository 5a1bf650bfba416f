#include "sinks/http_push.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <string_view>

#include "validate/endpoint.hpp"

namespace herald::detail {
namespace {

// curl_global_init is not thread-safe: once, before any handle.
struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

struct Attempt {
  bool allow_private = false;
  std::string refused;  // why the connect-time guard refused the address
  std::string retry_after;
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The connect-time SSRF guard: libcurl asks this for every socket it would connect, with the
// address it resolved.
curl_socket_t open_socket(void* context, curlsocktype purpose, curl_sockaddr* address) {
  auto& attempt = *static_cast<Attempt*>(context);
  if (purpose == CURLSOCKTYPE_IPCXN && !attempt.allow_private) {
    if (auto r = validate::public_connect_address(&address->addr, address->addrlen); !r) {
      attempt.refused = r.error().message();
      return CURL_SOCKET_BAD;
    }
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* context) {
  const std::string_view line(data, size * count);
  constexpr std::string_view k_name = "retry-after:";
  if (line.size() > k_name.size() && iequals(line.substr(0, k_name.size()), k_name)) {
    std::string_view value = line.substr(k_name.size());
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    static_cast<Attempt*>(context)->retry_after = std::string(value);
  }
  return size * count;
}

// The receiver's body is not kept.
std::size_t discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

struct EasyFree {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct ListFree {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  if (value.empty()) return std::nullopt;
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc{} && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return std::min(std::chrono::seconds(seconds), k_max_retry_after);
  }
  const std::string text(value);
  const time_t when = curl_getdate(text.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  const auto wait = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::from_time_t(when) - now);
  return std::clamp(wait, std::chrono::seconds(0), k_max_retry_after);
}

PushResult push_once(const PushRequest& request) {
  static const CurlGlobal global;
  std::unique_ptr<CURL, EasyFree> curl(curl_easy_init());
  if (!curl) return PushResult{PushResult::Kind::retry, std::nullopt, "cannot start libcurl", {}};
  Attempt attempt{request.allow_private, {}, {}};
  std::unique_ptr<curl_slist, ListFree> headers;
  const auto add_header = [&](const std::string& line) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  };
  add_header("Content-Type: application/json");
  add_header("Expect:");  // no 100-continue round trip
  for (const auto& [name, value] : request.headers) add_header(name + ": " + value);
  const long timeout_ms = static_cast<long>(request.timeout.count());
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_USERAGENT, "herald-smn/1");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // a 3xx is final, its Location never asked
  curl_easy_setopt(h, CURLOPT_PROXY, "");           // no proxy from the environment
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &open_socket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &attempt);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &attempt);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &discard);

  const CURLcode code = curl_easy_perform(h);
  if (!attempt.refused.empty()) {
    // The address the name leads to now is not public: final, it was refused before any byte.
    return PushResult{PushResult::Kind::final, std::nullopt, attempt.refused, {}};
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return PushResult{PushResult::Kind::retry, std::nullopt, "timed out", {}};
  }
  if (code != CURLE_OK) {
    // Connection refused or reset, a name that does not resolve now, a TLS failure: retried.
    return PushResult{PushResult::Kind::retry, std::nullopt, curl_easy_strerror(code), {}};
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  PushResult result{PushResult::Kind::final, static_cast<int>(status), {}, {}};
  if (status >= 200 && status < 300) {
    result.kind = PushResult::Kind::delivered;
    return result;
  }
  result.error = fmt::format("HTTP {}", status);
  if (status >= 500 || status == 408 || status == 429) {
    result.kind = PushResult::Kind::retry;
    if (status == 429 || status == 503) {
      result.retry_after = parse_retry_after(attempt.retry_after, std::chrono::system_clock::now());
    }
  } else if (status >= 300 && status < 400) {
    result.error += " (redirects are not followed)";
  } else if (status == 410) {
    result.unsubscribe = true;
  }
  return result;
}

}  // namespace herald::detail
