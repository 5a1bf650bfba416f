// herald: a command-line client of herald-server, mirroring the REST API. It prints the
// server's JSON answer; on an error answer it prints it to stderr and exits 1 (2 for a usage
// error, 3 when the server cannot be reached).
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "herald/version.hpp"
#include "http_client.hpp"
#include "model/message.hpp"

namespace {

constexpr std::string_view k_usage =
    R"(usage: herald [--endpoint URL] [--project ID] [--token TOKEN | --ak AK [--sk-file PATH]]
              [--ca-file PEM] COMMAND ...

Talks to herald-server (or any endpoint of the same API) over http:// or https://.
--endpoint, --token, --project and --ak default to the environment variables HERALD_ENDPOINT
(else http://127.0.0.1:8080), HERALD_TOKEN, HERALD_PROJECT and HERALD_AK.

authentication: an X-Auth-Token (--token), or AK/SK signing (SDK-HMAC-SHA256, as the official
SDKs sign) with the access key --ak and its secret key from HERALD_SK or the first line of
--sk-file PATH (never a command-line argument: others can read those). With both, AK/SK signs.
https: the server's certificate is verified against the system's CAs, or those of --ca-file
(also HERALD_CA_FILE); its name must match the endpoint's host.

commands:
  event create NAME --types T[,T...] --target-id URN [--target-name NAME] [--target-type SMN]
               [--state ENABLED|DISABLED]
  event show NAME
  event list [--limit N] [--marker NAME]
  event update NAME [--state S] [--types T[,T...]] [--target-type T --target-id ID --target-name N]
  event delete NAME
  secret subscribe SECRET [EVENT ...]        (no EVENT clears the subscriptions)
  secret show SECRET
  secret list [--event-name NAME] [--limit N] [--marker NAME]
  secret expire SECRET VERSION --at EPOCH_MS
  trigger SECRET EVENT_TYPE [--version ID] [--secret-type COMMON|RDS-FG|GaussDB-FG]
  records [--limit N] [--marker M] [--event-name NAME] [--secret-name NAME] [--status S]
  topic create NAME [--display-name TEXT]
  topic list
  topic show URN
  topic delete URN

--version prints "herald X.Y.Z".

exit status: 0 success, 1 the server answered an error, 2 usage error, 3 server unreachable.
)";

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "herald: " << message << "\n(see herald --help)\n";
  std::exit(2);
}

std::string quoted(std::string_view text) {
  std::string out;
  herald::detail::append_json_string(out, text);
  return out;
}

std::string string_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + quoted(items[i]);
  return out + "]";
}

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> parts;
  while (true) {
    const auto comma = text.find(',');
    parts.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) return parts;
    text.remove_prefix(comma + 1);
  }
}

// Percent-encodes a path segment or query value: unreserved characters stay as they are.
std::string encode(std::string_view text) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out.push_back(c);
    } else {
      out += {'%', k_hex[u >> 4], k_hex[u & 15]};
    }
  }
  return out;
}

// Positional words and --flag values of one command.
struct Args {
  std::vector<std::string> words;
  std::map<std::string, std::string> flags;

  [[nodiscard]] std::optional<std::string> flag(const std::string& name) const {
    const auto it = flags.find(name);
    return it == flags.end() ? std::nullopt : std::optional(it->second);
  }
  [[nodiscard]] const std::string& word(std::size_t i, std::string_view what) const {
    if (i >= words.size()) usage_error("missing " + std::string(what));
    return words[i];
  }
};

std::string query(const Args& args,
                  std::initializer_list<std::pair<const char*, const char*>> map) {
  std::string out;
  for (const auto& [flag, name] : map) {
    if (const auto value = args.flag(flag))
      out += (out.empty() ? "?" : "&") + std::string(name) + "=" + encode(*value);
  }
  return out;
}

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  std::string endpoint_url = env_or("HERALD_ENDPOINT", "http://127.0.0.1:8080");
  std::string token = env_or("HERALD_TOKEN", "");
  std::string project = env_or("HERALD_PROJECT", "");
  std::string access_key = env_or("HERALD_AK", "");
  std::string secret_key = env_or("HERALD_SK", "");
  std::string sk_file;
  std::string ca_file = env_or("HERALD_CA_FILE", "");

  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << k_usage;
      return 0;
    }
    if (arg == "--version" && args.words.empty()) {  // after a command, a flag of it
      std::cout << "herald " << herald::k_version << "\n";
      return 0;
    }
    if (arg.starts_with("--")) {
      if (i + 1 >= argc) usage_error(std::string(arg) + " needs a value");
      const std::string value = argv[++i];
      if (arg == "--endpoint")
        endpoint_url = value;
      else if (arg == "--token")
        token = value;
      else if (arg == "--project")
        project = value;
      else if (arg == "--ak")
        access_key = value;
      else if (arg == "--sk-file")
        sk_file = value;
      else if (arg == "--ca-file")
        ca_file = value;
      else if (arg == "--sk")
        usage_error("--sk is not taken: give the secret key in HERALD_SK or --sk-file");
      else
        args.flags[std::string(arg.substr(2))] = value;
    } else {
      args.words.emplace_back(arg);
    }
  }
  if (args.words.empty()) usage_error("no command");
  if (project.empty()) usage_error("no project: give --project or set HERALD_PROJECT");
  const auto endpoint = herald::http::parse_endpoint(endpoint_url);
  if (!endpoint) usage_error(endpoint.error().message());
  if (!sk_file.empty()) {
    std::ifstream in(sk_file);
    if (!in || !std::getline(in, secret_key) || secret_key.empty()) {
      usage_error("--sk-file: cannot read a secret key from " + sk_file);
    }
  }
  if (!access_key.empty() && secret_key.empty()) {
    usage_error("--ak needs its secret key: set HERALD_SK or give --sk-file");
  }

  const std::string v1 = "/v1/" + encode(project);
  const std::string topics = "/v2/" + encode(project) + "/notifications/topics";
  const std::string& group = args.words[0];
  const std::string action = args.words.size() > 1 ? args.words[1] : "";
  std::string method = "GET", target, body;

  const auto notification = [&](bool required) -> std::optional<std::string> {
    const auto id = args.flag("target-id");
    if (!id) {
      if (required) usage_error("--target-id is required");
      return std::nullopt;
    }
    const auto name = args.flag("target-name").value_or(id->substr(id->rfind(':') + 1));
    return "{\"target_type\":" + quoted(args.flag("target-type").value_or("SMN")) +
           ",\"target_id\":" + quoted(*id) + ",\"target_name\":" + quoted(name) + "}";
  };

  if (group == "event" && action == "create") {
    const auto types = args.flag("types");
    if (!types) usage_error("--types is required");
    method = "POST";
    target = v1 + "/csms/events";
    body = "{\"name\":" + quoted(args.word(2, "NAME")) +
           ",\"event_types\":" + string_array(split_commas(*types)) +
           ",\"state\":" + quoted(args.flag("state").value_or("ENABLED")) +
           ",\"notification\":" + *notification(true) + "}";
  } else if (group == "event" && action == "show") {
    target = v1 + "/csms/events/" + encode(args.word(2, "NAME"));
  } else if (group == "event" && action == "list") {
    target = v1 + "/csms/events" + query(args, {{"limit", "limit"}, {"marker", "marker"}});
  } else if (group == "event" && action == "update") {
    method = "PUT";
    target = v1 + "/csms/events/" + encode(args.word(2, "NAME"));
    std::vector<std::string> fields;
    if (const auto state = args.flag("state")) fields.push_back("\"state\":" + quoted(*state));
    if (const auto types = args.flag("types")) {
      fields.push_back("\"event_types\":" + string_array(split_commas(*types)));
    }
    if (const auto target_json = notification(false))
      fields.push_back("\"notification\":" + *target_json);
    body = "{";
    for (std::size_t i = 0; i < fields.size(); ++i) body += (i ? "," : "") + fields[i];
    body += "}";
  } else if (group == "event" && action == "delete") {
    method = "DELETE";
    target = v1 + "/csms/events/" + encode(args.word(2, "NAME"));
  } else if (group == "secret" && action == "subscribe") {
    method = "PUT";
    target = v1 + "/secrets/" + encode(args.word(2, "SECRET"));
    body = "{\"event_subscriptions\":" + string_array({args.words.begin() + 3, args.words.end()}) +
           "}";
  } else if (group == "secret" && action == "show") {
    target = v1 + "/secrets/" + encode(args.word(2, "SECRET"));
  } else if (group == "secret" && action == "list") {
    target = v1 + "/secrets" +
             query(args, {{"event-name", "event_name"}, {"limit", "limit"}, {"marker", "marker"}});
  } else if (group == "secret" && action == "expire") {
    const auto at = args.flag("at");
    if (!at) usage_error("--at EPOCH_MS is required");
    if (at->empty() || at->find_first_not_of("0123456789") != std::string::npos) {
      usage_error("--at takes epoch milliseconds");
    }
    method = "PUT";
    target = v1 + "/secrets/" + encode(args.word(2, "SECRET")) + "/versions/" +
             encode(args.word(3, "VERSION"));
    body = "{\"expire_time\":" + *at + "}";
  } else if (group == "trigger") {
    method = "POST";
    target = v1 + "/csms/lifecycle-events";
    body = "{\"secret_name\":" + quoted(args.word(1, "SECRET")) +
           ",\"event_type\":" + quoted(args.word(2, "EVENT_TYPE"));
    if (const auto version = args.flag("version")) body += ",\"version_id\":" + quoted(*version);
    if (const auto type = args.flag("secret-type")) body += ",\"secret_type\":" + quoted(*type);
    body += "}";
  } else if (group == "records") {
    target = v1 + "/csms/notification-records" +
             query(args, {{"limit", "limit"},
                          {"marker", "marker"},
                          {"event-name", "event_name"},
                          {"secret-name", "secret_name"},
                          {"status", "notification_status"}});
  } else if (group == "topic" && action == "create") {
    method = "POST";
    target = topics;
    body = "{\"name\":" + quoted(args.word(2, "NAME")) +
           ",\"display_name\":" + quoted(args.flag("display-name").value_or("")) + "}";
  } else if (group == "topic" && action == "list") {
    target = topics;
  } else if (group == "topic" && (action == "show" || action == "delete")) {
    method = action == "show" ? "GET" : "DELETE";
    target = topics + "/" + encode(args.word(2, "URN"));
  } else {
    usage_error("unknown command: " + group + (action.empty() ? "" : " " + action));
  }

  herald::http::ClientOptions options;
  options.ca_file = ca_file;
  if (!access_key.empty()) {
    options.access_key = access_key;
    options.secret_key = secret_key;
    options.project_id = project;
  }
  herald::http::Client client(*endpoint, options);
  std::vector<std::pair<std::string, std::string>> headers;
  if (!token.empty() && access_key.empty()) headers.emplace_back("X-Auth-Token", token);
  const auto response = client.request(method, target, headers, body);
  if (!response) {
    std::cerr << "herald: " << response.error().message() << "\n";
    return 3;
  }
  if (response->status >= 400) {
    std::cerr << "herald: HTTP " << response->status << ": " << response->body << "\n";
    return 1;
  }
  if (response->status == 204) {
    std::cout << "{}\n";
  } else {
    std::cout << response->body << "\n";
  }
  return 0;
}
