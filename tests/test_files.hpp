// Files the end-to-end tests make: a temporary directory of their own, a certificate, a file
// with given permissions.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <utility>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace herald::testing {

/// A directory of the test's own, removed with everything in it at the end.
struct TempDir {
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "herald-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path;
};

/// `dir`/cert.pem and `dir`/key.pem: a self-signed certificate for 127.0.0.1 and localhost and
/// its RSA 2048 key, made by the openssl command.
inline void make_certificate(const std::filesystem::path& dir) {
  const std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=herald-test "
      "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout '" +
      (dir / "key.pem").string() + "' -out '" + (dir / "cert.pem").string() + "' 2>/dev/null";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("openssl req failed");
}

/// Runs `command` with sh, stderr joined to stdout: its exit status and everything it printed.
inline std::pair<int, std::string> run_command(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen");
  std::string output;
  char buffer[4096];
  while (const auto n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), output};
}

/// Writes `text` to `path` and gives it `perms`.
inline void write_file(const std::filesystem::path& path, const std::string& text,
                       std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                                      std::filesystem::perms::owner_write) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  std::filesystem::permissions(path, perms);
}

}  // namespace herald::testing
