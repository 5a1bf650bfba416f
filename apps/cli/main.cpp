// herald: a command-line client of herald-server (or any endpoint of the same API), its
// subcommands mirroring the REST API, on CLI11. It prints the server's answer (JSON, or a table
// with -o table); on an error answer it prints it to stderr and exits 1; 2 for a usage error, 3
// when the server cannot be reached. Uses the public headers and Boost.JSON only.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "herald/version.hpp"
#include "http_client.hpp"

namespace {

namespace json = boost::json;

constexpr std::string_view k_footer = R"(
Environment: HERALD_ENDPOINT (default http://127.0.0.1:8080), HERALD_PROJECT, HERALD_TOKEN,
HERALD_AK and HERALD_SK (AK/SK signing, as the official SDKs sign), HERALD_CA_FILE.
Exit status: 0 success, 1 the server answered an error, 2 usage error, 3 server unreachable.)";

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
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

json::array strings(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& item : items) out.emplace_back(item);
  return out;
}

// One request to make: what the chosen subcommand filled in.
struct Request {
  std::string method = "GET";
  std::string target;
  std::optional<json::object> body;
  std::vector<std::pair<std::string, std::string>> query;  // set values only

  void add_query(const std::string& name, const std::string& value) {
    if (!value.empty()) query.emplace_back(name, value);
  }
  [[nodiscard]] std::string full_target() const {
    std::string out = target;
    for (std::size_t i = 0; i < query.size(); ++i) {
      out += (i == 0 ? "?" : "&") + query[i].first + "=" + encode(query[i].second);
    }
    return out;
  }
};

// -o table: the answer's list (or single object) as aligned columns of its scalar fields.
std::string table_of(const json::value& answer) {
  std::vector<const json::object*> rows;
  if (const auto* object = answer.if_object()) {
    for (const auto& [key, value] : *object) {
      if (const auto* array = value.if_array()) {
        for (const auto& item : *array) {
          if (item.is_object()) rows.push_back(&item.as_object());
        }
        break;
      }
      if (value.is_object() && key != "page_info") {
        rows.push_back(&value.as_object());
        break;
      }
    }
    if (rows.empty()) rows.push_back(object);
  }
  std::vector<std::string> columns;
  for (const auto* row : rows) {
    for (const auto& [key, value] : *row) {
      if (value.is_structured()) continue;
      if (std::find(columns.begin(), columns.end(), key) == columns.end()) {
        columns.emplace_back(key);
      }
    }
  }
  const auto cell = [](const json::object& row, const std::string& column) -> std::string {
    const auto* value = row.if_contains(column);
    if (value == nullptr || value->is_null()) return "-";
    if (const auto* text = value->if_string()) return std::string(*text);
    return json::serialize(*value);
  };
  std::vector<std::size_t> widths;
  for (const auto& column : columns) {
    std::size_t width = column.size();
    for (const auto* row : rows) width = std::max(width, cell(*row, column).size());
    widths.push_back(width);
  }
  std::string out;
  const auto line = [&](const auto& text_of) {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const std::string text = text_of(i);
      out += text;
      if (i + 1 < columns.size()) out += std::string(widths[i] - text.size() + 2, ' ');
    }
    out += "\n";
  };
  std::string upper;
  line([&](std::size_t i) {
    upper = columns[i];
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return upper;
  });
  for (const auto* row : rows) line([&](std::size_t i) { return cell(*row, columns[i]); });
  return out;
}

// A bash completion script for the commands of `app`.
std::string bash_completion(const CLI::App& app) {
  std::string groups;
  std::string cases;
  for (const auto* group : app.get_subcommands({})) {
    groups += (groups.empty() ? "" : " ") + group->get_name();
    std::string words;
    for (const auto* action : group->get_subcommands({})) {
      words += (words.empty() ? "" : " ") + action->get_name();
    }
    for (const auto* option : group->get_options()) {
      for (const auto& name : option->get_lnames()) words += " --" + name;
    }
    cases += "    " + group->get_name() + ") words=\"" + words + "\" ;;\n";
  }
  return "# bash completion for herald: source <(herald completion bash)\n"
         "_herald() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} words=\"" +
         groups +
         " --endpoint --project --token --ak --sk-file --ca-file --output --version --help\"\n"
         "  if [[ $COMP_CWORD -gt 1 ]]; then\n"
         "  case ${COMP_WORDS[1]} in\n" +
         cases +
         "  esac\n"
         "  fi\n"
         "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
         "}\n"
         "complete -F _herald herald\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Talks to herald-server (or any endpoint of the CSMS secret-events API) over "
      "http:// or https://, with an X-Auth-Token or AK/SK signing.",
      "herald"};
  app.footer(std::string(k_footer));
  app.set_version_flag("--version", std::string("herald ") + herald::k_version);
  app.require_subcommand(1);
  app.fallthrough();  // global options after a command too

  std::string endpoint_url = env_or("HERALD_ENDPOINT", "http://127.0.0.1:8080");
  std::string project = env_or("HERALD_PROJECT", "");
  std::string token = env_or("HERALD_TOKEN", "");
  std::string access_key = env_or("HERALD_AK", "");
  std::string secret_key = env_or("HERALD_SK", "");
  std::string sk_file;
  std::string ca_file = env_or("HERALD_CA_FILE", "");
  std::string output = "json";
  app.add_option("--endpoint", endpoint_url, "http[s]://HOST:PORT (HERALD_ENDPOINT)");
  app.add_option("--project", project, "the project id (HERALD_PROJECT)");
  app.add_option("--token", token, "an X-Auth-Token (HERALD_TOKEN)");
  app.add_option("--ak", access_key,
                 "sign with AK/SK: the access key (HERALD_AK); its secret key comes from "
                 "HERALD_SK or --sk-file, never from an argument");
  app.add_option("--sk-file", sk_file, "a file whose first line is the secret key");
  app.add_option("--ca-file", ca_file, "https: trust these certificates (HERALD_CA_FILE)");
  app.add_option("-o,--output", output, "json (the server's answer) or table")
      ->check(CLI::IsMember({"json", "table"}));

  Request request;
  std::string v1;
  std::string topics;
  const auto target = [&](std::string path) { request.target = std::move(path); };

  // ---- event ----
  auto* event = app.add_subcommand("event", "secret events (CSMS)")->require_subcommand(1);
  struct EventFlags {
    std::string name, types, target_id, target_name, target_type = "SMN", state, limit, marker;
  } e;
  std::vector<std::string> type_list;
  const auto notification = [&]() -> std::optional<json::object> {
    if (e.target_id.empty()) return std::nullopt;
    const auto name =
        e.target_name.empty() ? e.target_id.substr(e.target_id.rfind(':') + 1) : e.target_name;
    return json::object{
        {"target_type", e.target_type}, {"target_id", e.target_id}, {"target_name", name}};
  };
  auto* event_create = event->add_subcommand("create", "create an event");
  event_create->add_option("NAME", e.name)->required();
  event_create->add_option("--types", type_list, "event types, comma separated")
      ->required()
      ->delimiter(',');
  event_create->add_option("--target-id", e.target_id, "e.g. an SMN topic URN")->required();
  event_create->add_option("--target-name", e.target_name, "default: the id's last part");
  event_create->add_option("--target-type", e.target_type, "default SMN");
  event_create->add_option("--state", e.state, "ENABLED (default) or DISABLED");
  event_create->callback([&] {
    request.method = "POST";
    target(v1 + "/csms/events");
    request.body = json::object{{"name", e.name},
                                {"event_types", strings(type_list)},
                                {"state", e.state.empty() ? "ENABLED" : e.state},
                                {"notification", *notification()}};
  });
  auto* event_show = event->add_subcommand("show", "show an event");
  event_show->add_option("NAME", e.name)->required();
  event_show->callback([&] { target(v1 + "/csms/events/" + encode(e.name)); });
  auto* event_list = event->add_subcommand("list", "list events, one page");
  event_list->add_option("--limit", e.limit);
  event_list->add_option("--marker", e.marker);
  event_list->callback([&] {
    target(v1 + "/csms/events");
    request.add_query("limit", e.limit);
    request.add_query("marker", e.marker);
  });
  auto* event_update = event->add_subcommand("update", "change an event");
  event_update->add_option("NAME", e.name)->required();
  event_update->add_option("--state", e.state);
  event_update->add_option("--types", type_list)->delimiter(',');
  event_update->add_option("--target-type", e.target_type);
  event_update->add_option("--target-id", e.target_id);
  event_update->add_option("--target-name", e.target_name);
  event_update->callback([&] {
    request.method = "PUT";
    target(v1 + "/csms/events/" + encode(e.name));
    json::object body;
    if (!e.state.empty()) body["state"] = e.state;
    if (!type_list.empty()) body["event_types"] = strings(type_list);
    if (auto n = notification()) body["notification"] = std::move(*n);
    request.body = std::move(body);
  });
  auto* event_delete = event->add_subcommand("delete", "delete an event");
  event_delete->add_option("NAME", e.name)->required();
  event_delete->callback([&] {
    request.method = "DELETE";
    target(v1 + "/csms/events/" + encode(e.name));
  });

  // ---- secret ----
  auto* secret = app.add_subcommand("secret", "secrets' subscriptions and version expiry")
                     ->require_subcommand(1);
  struct SecretFlags {
    std::string name, version, at, event_name, limit, marker;
    std::vector<std::string> events;
  } s;
  auto* subscribe = secret->add_subcommand("subscribe", "set the events a secret subscribes to");
  subscribe->add_option("SECRET", s.name)->required();
  subscribe->add_option("EVENT", s.events, "none: clear the subscriptions");
  subscribe->callback([&] {
    request.method = "PUT";
    target(v1 + "/secrets/" + encode(s.name));
    request.body = json::object{{"event_subscriptions", strings(s.events)}};
  });
  auto* secret_show = secret->add_subcommand("show", "show a secret's subscriptions");
  secret_show->add_option("SECRET", s.name)->required();
  secret_show->callback([&] { target(v1 + "/secrets/" + encode(s.name)); });
  auto* secret_list = secret->add_subcommand("list", "list secrets, one page");
  secret_list->add_option("--event-name", s.event_name, "only those subscribing to it");
  secret_list->add_option("--limit", s.limit);
  secret_list->add_option("--marker", s.marker);
  secret_list->callback([&] {
    target(v1 + "/secrets");
    request.add_query("event_name", s.event_name);
    request.add_query("limit", s.limit);
    request.add_query("marker", s.marker);
  });
  auto* expire = secret->add_subcommand("expire", "arm a version's expiry");
  expire->add_option("SECRET", s.name)->required();
  expire->add_option("VERSION", s.version)->required();
  expire->add_option("--at", s.at, "epoch milliseconds")->required()->check(CLI::Number);
  expire->callback([&] {
    request.method = "PUT";
    target(v1 + "/secrets/" + encode(s.name) + "/versions/" + encode(s.version));
    request.body = json::object{{"expire_time", std::stoll(s.at)}};
  });

  // ---- trigger, records ----
  struct TriggerFlags {
    std::string secret, type, version, secret_type;
  } t;
  auto* trigger = app.add_subcommand("trigger", "dispatch one lifecycle event (extension)");
  trigger->add_option("SECRET", t.secret)->required();
  trigger->add_option("EVENT_TYPE", t.type)->required();
  trigger->add_option("--version", t.version, "the version id");
  trigger->add_option("--secret-type", t.secret_type, "COMMON (default), RDS-FG, GaussDB-FG");
  trigger->callback([&] {
    request.method = "POST";
    target(v1 + "/csms/lifecycle-events");
    json::object body{{"secret_name", t.secret}, {"event_type", t.type}};
    if (!t.version.empty()) body["version_id"] = t.version;
    if (!t.secret_type.empty()) body["secret_type"] = t.secret_type;
    request.body = std::move(body);
  });
  struct RecordFlags {
    std::string limit, marker, event_name, secret_name, status;
  } r;
  auto* records = app.add_subcommand("records", "notification records, newest first");
  records->add_option("--limit", r.limit);
  records->add_option("--marker", r.marker);
  records->add_option("--event-name", r.event_name);
  records->add_option("--secret-name", r.secret_name);
  records->add_option("--status", r.status, "SUCCESS, FAIL or INVALID");
  records->callback([&] {
    target(v1 + "/csms/notification-records");
    request.add_query("limit", r.limit);
    request.add_query("marker", r.marker);
    request.add_query("event_name", r.event_name);
    request.add_query("secret_name", r.secret_name);
    request.add_query("notification_status", r.status);
  });

  // ---- topic ----
  auto* topic = app.add_subcommand("topic", "SMN topics")->require_subcommand(1);
  std::string topic_name, display_name, urn;
  auto* topic_create = topic->add_subcommand("create", "create a topic");
  topic_create->add_option("NAME", topic_name)->required();
  topic_create->add_option("--display-name", display_name);
  topic_create->callback([&] {
    request.method = "POST";
    target(topics);
    request.body = json::object{{"name", topic_name}, {"display_name", display_name}};
  });
  topic->add_subcommand("list", "list topics")->callback([&] { target(topics); });
  auto* topic_show = topic->add_subcommand("show", "show a topic");
  topic_show->add_option("URN", urn)->required();
  topic_show->callback([&] { target(topics + "/" + encode(urn)); });
  auto* topic_delete = topic->add_subcommand("delete", "delete a topic");
  topic_delete->add_option("URN", urn)->required();
  topic_delete->callback([&] {
    request.method = "DELETE";
    target(topics + "/" + encode(urn));
  });

  // ---- completion ----
  std::string shell;
  auto* completion = app.add_subcommand("completion", "print a shell completion script");
  completion->add_option("SHELL", shell, "bash")->required()->check(CLI::IsMember({"bash"}));
  completion->callback([&] {
    std::cout << bash_completion(app);
    std::exit(0);
  });

  // The paths need the project before any subcommand's callback runs.
  app.parse_complete_callback([&] {
    v1 = "/v1/" + encode(project);
    topics = "/v2/" + encode(project) + "/notifications/topics";
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    // A word where a command belongs is the command the user meant: name it ("A subcommand is
    // required" would not).
    const auto left = app.remaining(true);
    const bool unknown_command =
        dynamic_cast<const CLI::RequiredError*>(&error) != nullptr && !left.empty();
    std::cerr << "herald: "
              << (unknown_command ? "unknown command: " + left.front() : std::string(error.what()))
              << "\n(see herald --help, or herald COMMAND --help)\n";
    return 2;
  }

  const auto usage_error = [](const std::string& message) {
    std::cerr << "herald: " << message << "\n(see herald --help)\n";
    return 2;
  };
  if (project.empty()) return usage_error("no project: give --project or set HERALD_PROJECT");
  const auto endpoint = herald::http::parse_endpoint(endpoint_url);
  if (!endpoint) return usage_error(endpoint.error().message());
  if (!sk_file.empty()) {
    std::ifstream in(sk_file);
    if (!in || !std::getline(in, secret_key) || secret_key.empty()) {
      return usage_error("--sk-file: cannot read a secret key from " + sk_file);
    }
  }
  if (!access_key.empty() && secret_key.empty()) {
    return usage_error("--ak needs its secret key: set HERALD_SK or give --sk-file");
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
  const std::string body = request.body ? json::serialize(*request.body) : std::string();
  const auto response = client.request(request.method, request.full_target(), headers, body);
  if (!response) {
    std::cerr << "herald: " << response.error().message() << "\n";
    return 3;
  }
  if (response->status >= 400) {
    std::cerr << "herald: HTTP " << response->status << ": " << response->body << "\n";
    return 1;
  }
  const std::string answer = response->status == 204 ? "{}" : response->body;
  if (output == "table") {
    json::error_code ec;
    const auto parsed = json::parse(answer, ec);
    if (!ec) {
      std::cout << table_of(parsed);
      return 0;
    }
  }
  std::cout << answer << "\n";
  return 0;
}
