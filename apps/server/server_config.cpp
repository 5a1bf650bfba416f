// The TOML configuration file: toml++ is compiled here only.
#include "server_config.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>

namespace herald::server {

Result<std::vector<Argument>> config_arguments(const std::filesystem::path& file,
                                               const std::vector<std::string>& flags,
                                               const std::vector<std::string>& switches) {
  const auto wrong = [&](std::string message) {
    return Error{ErrorCode::invalid_argument, fmt::format("{}: {}", file.string(), message)};
  };
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    const auto& where = error.source().begin;
    if (!std::filesystem::exists(file)) return wrong("cannot read the file");
    return wrong(fmt::format("line {}, column {}: {}", where.line, where.column,
                             std::string(error.description())));
  }
  const auto listed = [](const std::vector<std::string>& list, std::string_view key) {
    return std::find(list.begin(), list.end(), key) != list.end();
  };
  std::vector<Argument> out;
  for (const auto& [key_node, value] : table) {
    const std::string key(key_node.str());
    const std::string origin = fmt::format("{}: key {}", file.string(), key);
    const std::string flag = "--" + key;
    const std::string printable = key.substr(0, 64);
    if (listed(switches, key)) {
      const auto* on = value.as_boolean();
      if (on == nullptr) return wrong(fmt::format("{}: must be true or false", printable));
      if (on->get()) out.push_back({flag, origin});
      continue;
    }
    if (!listed(flags, key)) {
      return wrong(
          fmt::format("unknown key \"{}\" (the keys are the flags of --help, without "
                      "their dashes)",
                      printable));
    }
    const auto scalar = [&](const toml::node& node) -> std::optional<std::string> {
      if (const auto* text = node.as_string()) return text->get();
      if (const auto* number = node.as_integer()) return std::to_string(number->get());
      return std::nullopt;
    };
    if (const auto* array = value.as_array()) {
      for (std::size_t i = 0; i < array->size(); ++i) {
        const auto item = scalar(*array->get(i));
        if (!item) return wrong(fmt::format("{}[{}]: must be a string", printable, i));
        out.push_back({flag, origin});
        out.push_back({*item, origin});
      }
      continue;
    }
    const auto item = scalar(value);
    if (!item) return wrong(fmt::format("{}: must be a string or a whole number", printable));
    out.push_back({flag, origin});
    out.push_back({*item, origin});
  }
  return out;
}

}  // namespace herald::server
