#include "herald/json_lines_sink.hpp"

#include <fmt/format.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace herald {
namespace {

struct OpenFile {
  explicit OpenFile(std::FILE* f) : file(f) {}
  ~OpenFile() { std::fclose(file); }
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;

  std::FILE* file;
  std::mutex mutex;
};

}  // namespace

Result<SinkFunction> json_lines_file_sink(const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "ae");  // append, close-on-exec
  if (file == nullptr) {
    return Error{ErrorCode::unavailable, fmt::format("json-lines sink: cannot open {}: {}",
                                                     path.string(), std::strerror(errno))};
  }
  auto open = std::make_shared<OpenFile>(file);
  return SinkFunction([open, name = path.string()](const Notification& notification) {
    const std::string_view line = notification.message();
    std::lock_guard lock(open->mutex);
    const bool written = std::fwrite(line.data(), 1, line.size(), open->file) == line.size() &&
                         std::fputc('\n', open->file) != EOF && std::fflush(open->file) == 0;
    if (!written) {
      const int error = errno;
      std::clearerr(open->file);
      return SinkOutcome::failed(fmt::format("cannot write {}: {}", name, std::strerror(error)));
    }
    return SinkOutcome::delivered();
  });
}

}  // namespace herald
