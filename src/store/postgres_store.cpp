// The PostgreSQL Store: libpq, prepared statements on two connections (one writes, one lists),
// a schema version in herald_schema, created and migrated under an advisory lock so that
// several processes may start at once on an empty database.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <poll.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "herald/metrics.hpp"
#include "herald/store.hpp"
#include "model/uuid.hpp"
#include "records/record_log.hpp"
#include "store/group_commit.hpp"
#include "store/stored_rows.hpp"

namespace herald {
namespace {

using stored_rows::k_push_columns;
using stored_rows::k_record_columns;

// The schema, one script per version: opening an older database runs the scripts after its
// version. Every name starts with herald_, so that herald can share a database with others.
constexpr std::string_view k_migrations[] = {
    // 1: configuration, records (status NULL while pending: the outbox), the SMN stand-in's
    // topics, subscriptions and pushes, and herald's settings; each project's change number
    // (herald_projects), and the processes' leases on the deliveries and pushes they own.
    R"sql(
CREATE TABLE herald_events (
  project_id TEXT NOT NULL, name TEXT NOT NULL, event_id TEXT NOT NULL,
  event_types TEXT NOT NULL, state TEXT NOT NULL,
  create_time BIGINT NOT NULL, update_time BIGINT NOT NULL,
  target_type TEXT NOT NULL, target_id TEXT NOT NULL, target_name TEXT NOT NULL,
  PRIMARY KEY (project_id, name));
CREATE TABLE herald_secrets (
  project_id TEXT NOT NULL, secret_name TEXT NOT NULL, PRIMARY KEY (project_id, secret_name));
CREATE TABLE herald_subscriptions (
  project_id TEXT NOT NULL, secret_name TEXT NOT NULL, position INTEGER NOT NULL,
  event_name TEXT NOT NULL, PRIMARY KEY (project_id, secret_name, position));
CREATE TABLE herald_expiry_timers (
  project_id TEXT NOT NULL, secret_name TEXT NOT NULL, version_id TEXT NOT NULL,
  expire_time BIGINT NOT NULL, secret_type TEXT NOT NULL,
  PRIMARY KEY (project_id, secret_name, version_id));
CREATE TABLE herald_records (
  sequence BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  notification_id TEXT NOT NULL UNIQUE, project_id TEXT NOT NULL,
  event_name TEXT NOT NULL, event_id TEXT NOT NULL, trigger_event_type TEXT NOT NULL,
  secret_name TEXT NOT NULL, secret_type TEXT NOT NULL, version_id TEXT,
  trigger_time BIGINT NOT NULL, target_type TEXT NOT NULL, target_id TEXT NOT NULL,
  target_name TEXT NOT NULL, content TEXT NOT NULL, status TEXT, reason TEXT NOT NULL,
  owner TEXT NOT NULL);
CREATE INDEX herald_records_by_project ON herald_records (project_id, sequence);
CREATE INDEX herald_records_pending ON herald_records (sequence) WHERE status IS NULL;
CREATE INDEX herald_records_final_by_time ON herald_records (trigger_time)
  WHERE status IS NOT NULL;
CREATE TABLE herald_smn_topics (
  project_id TEXT NOT NULL, name TEXT NOT NULL, display_name TEXT NOT NULL,
  PRIMARY KEY (project_id, name));
CREATE TABLE herald_smn_subscriptions (
  project_id TEXT NOT NULL, subscription_id TEXT NOT NULL, topic_name TEXT NOT NULL,
  protocol TEXT NOT NULL, endpoint TEXT NOT NULL, remark TEXT NOT NULL,
  confirmed BOOLEAN NOT NULL, signing_secret TEXT NOT NULL, confirm_token TEXT NOT NULL,
  unsubscribe_token TEXT NOT NULL, PRIMARY KEY (project_id, subscription_id));
CREATE TABLE herald_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE herald_smn_pushes (
  sequence BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, message_id TEXT NOT NULL,
  project_id TEXT NOT NULL, topic_name TEXT NOT NULL, subscription_id TEXT NOT NULL,
  message TEXT NOT NULL, subject TEXT NOT NULL, timestamp BIGINT NOT NULL, status TEXT NOT NULL,
  attempts BIGINT NOT NULL, last_http_status INTEGER, last_error TEXT NOT NULL,
  next_attempt_time BIGINT, owner TEXT NOT NULL, UNIQUE (message_id, subscription_id));
CREATE INDEX herald_smn_pushes_by_topic ON herald_smn_pushes (project_id, topic_name, sequence);
CREATE INDEX herald_smn_pushes_pending ON herald_smn_pushes (sequence) WHERE status = 'PENDING';
CREATE SEQUENCE herald_change_numbers;
CREATE TABLE herald_projects (project_id TEXT PRIMARY KEY, change BIGINT NOT NULL);
CREATE TABLE herald_processes (process_id TEXT PRIMARY KEY, lease_until BIGINT NOT NULL);
)sql",
};
static_assert(std::size(k_migrations) == k_postgres_schema_version);

// The advisory lock that serialises schema creation and migration across processes.
constexpr std::string_view k_schema_lock = "SELECT pg_advisory_xact_lock(7165482341)";

Error unavailable(std::string message) { return Error{ErrorCode::unavailable, std::move(message)}; }

// The database's clock, in ms since the epoch: leases and expiry timers go by it, so that the
// processes' own clocks need not agree.
#define HERALD_DB_NOW "(extract(epoch from clock_timestamp()) * 1000)::bigint"

// Every statement herald prepares, by name; prepared anew on each (re)connection.
struct StatementText {
  const char* name;
  std::string sql;
};

std::vector<StatementText> statements() {
  return {
      {"put_event",
       "INSERT INTO herald_events VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (project_id,"
       " name) DO UPDATE SET event_id = $3, event_types = $4, state = $5, create_time = $6,"
       " update_time = $7, target_type = $8, target_id = $9, target_name = $10"},
      {"delete_event", "DELETE FROM herald_events WHERE project_id = $1 AND name = $2"},
      {"put_secret", "INSERT INTO herald_secrets VALUES ($1,$2) ON CONFLICT DO NOTHING"},
      {"clear_subscriptions",
       "DELETE FROM herald_subscriptions WHERE project_id = $1 AND secret_name = $2"},
      {"put_subscription", "INSERT INTO herald_subscriptions VALUES ($1,$2,$3,$4)"},
      {"delete_secret", "DELETE FROM herald_secrets WHERE project_id = $1 AND secret_name = $2"},
      {"delete_timers_of_secret",
       "DELETE FROM herald_expiry_timers WHERE project_id = $1 AND secret_name = $2"},
      {"put_timer",
       "INSERT INTO herald_expiry_timers VALUES ($1,$2,$3,$4,$5) ON CONFLICT (project_id,"
       " secret_name, version_id) DO UPDATE SET expire_time = $4, secret_type = $5"},
      {"delete_timer",
       "DELETE FROM herald_expiry_timers WHERE project_id = $1 AND secret_name = $2 AND"
       " version_id = $3"},
      // A delivery made again after a lost answer to COMMIT finds its record there already.
      {"put_record",
       "INSERT INTO herald_records (notification_id, project_id, event_name, event_id,"
       " trigger_event_type, secret_name, secret_type, version_id, trigger_time, target_type,"
       " target_id, target_name, content, status, reason, owner) VALUES"
       " ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,NULL,'',$14) ON CONFLICT DO NOTHING"},
      // The outbox of processes whose lease ran out, taken over by $1.
      {"claim_records",
       "UPDATE herald_records SET owner = $1 WHERE sequence IN (SELECT r.sequence FROM"
       " herald_records r LEFT JOIN herald_processes p ON p.process_id = r.owner WHERE"
       " r.status IS NULL AND r.owner <> $1 AND (p.process_id IS NULL OR p.lease_until "
       "< " HERALD_DB_NOW ") ORDER BY r.sequence LIMIT $2 FOR UPDATE OF r SKIP LOCKED) RETURNING " +
           std::string(k_record_columns.substr(7)) + ", sequence"},
      {"own_records", std::string(k_record_columns) +
                          " FROM herald_records WHERE status IS NULL AND owner = $1 ORDER BY"
                          " sequence"},
      {"claim_pushes",
       "UPDATE herald_smn_pushes SET owner = $1 WHERE sequence IN (SELECT s.sequence FROM"
       " herald_smn_pushes s LEFT JOIN herald_processes p ON p.process_id = s.owner WHERE"
       " s.status = 'PENDING' AND s.owner <> $1 AND (p.process_id IS NULL OR p.lease_until "
       "< " HERALD_DB_NOW ") ORDER BY s.sequence LIMIT $2 FOR UPDATE OF s SKIP LOCKED) RETURNING " +
           std::string(k_push_columns) + ", sequence"},
      {"own_pushes", "SELECT " + std::string(k_push_columns) +
                         " FROM herald_smn_pushes WHERE status = 'PENDING' AND owner = $1 ORDER BY"
                         " sequence"},
      {"renew_process",
       "INSERT INTO herald_processes VALUES ($1, " HERALD_DB_NOW " + $2) ON CONFLICT (process_id)"
       " DO UPDATE SET lease_until = " HERALD_DB_NOW " + $2"},
      {"forget_process", "DELETE FROM herald_processes WHERE process_id = $1"},
      {"sweep_processes",
       "DELETE FROM herald_processes WHERE lease_until < " HERALD_DB_NOW " - $1"},
      // A project's changes: the row lock serialises them across processes.
      {"ensure_project", "INSERT INTO herald_projects VALUES ($1, 0) ON CONFLICT DO NOTHING"},
      {"lock_project", "SELECT change FROM herald_projects WHERE project_id = $1 FOR UPDATE"},
      {"bump_project",
       "UPDATE herald_projects SET change = nextval('herald_change_numbers') WHERE project_id = $1"
       " RETURNING change"},
      {"notify_change", "SELECT pg_notify('herald_changes', $1)"},
      {"all_topics", "SELECT project_id, name, display_name FROM herald_smn_topics ORDER BY 1, 2"},
      {"project_topics",
       "SELECT project_id, name, display_name FROM herald_smn_topics WHERE project_id = $1 ORDER"
       " BY 1, 2"},
      {"project_smn_subscriptions",
       "SELECT project_id, topic_name, subscription_id, protocol, endpoint, remark, confirmed,"
       " signing_secret, confirm_token, unsubscribe_token FROM herald_smn_subscriptions WHERE"
       " project_id = $1 ORDER BY 1, 2, 3"},
      {"all_smn_subscriptions",
       "SELECT project_id, topic_name, subscription_id, protocol, endpoint, remark, confirmed,"
       " signing_secret, confirm_token, unsubscribe_token FROM herald_smn_subscriptions ORDER BY"
       " 1, 2, 3"},
      {"project_change", "SELECT change FROM herald_projects WHERE project_id = $1"},
      {"all_changes", "SELECT project_id, change FROM herald_projects"},
      {"project_events",
       "SELECT project_id, name, event_id, event_types, state, create_time, update_time,"
       " target_type, target_id, target_name FROM herald_events WHERE project_id = $1 ORDER BY"
       " name"},
      {"project_secrets",
       "SELECT s.project_id, s.secret_name, b.event_name FROM herald_secrets s LEFT JOIN"
       " herald_subscriptions b USING (project_id, secret_name) WHERE s.project_id = $1 ORDER BY"
       " 1, 2, b.position"},
      {"project_timers",
       "SELECT project_id, secret_name, version_id, expire_time, secret_type FROM"
       " herald_expiry_timers WHERE project_id = $1 ORDER BY 1, 2, 3"},
      // Fires once: whoever deletes the due row fires it.
      {"claim_timer",
       "DELETE FROM herald_expiry_timers WHERE project_id = $1 AND secret_name = $2 AND"
       " version_id = $3 AND expire_time <= " HERALD_DB_NOW " RETURNING 1"},
      {"find_timer",
       "SELECT 1 FROM herald_expiry_timers WHERE project_id = $1 AND secret_name = $2 AND"
       " version_id = $3"},
      // Bounded: a store that comes back to a long backlog prunes it over many transactions.
      {"prune_records",
       "DELETE FROM herald_records WHERE sequence IN (SELECT sequence FROM herald_records WHERE"
       " status IS NOT NULL AND trigger_time <= $1 LIMIT $2)"},
      {"prune_pushes",
       "DELETE FROM herald_smn_pushes WHERE sequence IN (SELECT sequence FROM herald_smn_pushes"
       " WHERE status <> 'PENDING' AND timestamp * 1000 <= $1 LIMIT $2)"},
      // Finalised once: a status already stamped stays.
      {"finish_record",
       "UPDATE herald_records SET status = $1, reason = $2 WHERE notification_id = $3 AND"
       " status IS NULL"},
      {"put_topic",
       "INSERT INTO herald_smn_topics VALUES ($1,$2,$3) ON CONFLICT (project_id, name) DO UPDATE"
       " SET display_name = $3"},
      {"delete_topic", "DELETE FROM herald_smn_topics WHERE project_id = $1 AND name = $2"},
      {"delete_topic_subscriptions",
       "DELETE FROM herald_smn_subscriptions WHERE project_id = $1 AND topic_name = $2"},
      {"put_smn_subscription",
       "INSERT INTO herald_smn_subscriptions VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT"
       " (project_id, subscription_id) DO UPDATE SET topic_name = $3, protocol = $4,"
       " endpoint = $5, remark = $6, confirmed = $7, signing_secret = $8, confirm_token = $9,"
       " unsubscribe_token = $10"},
      {"delete_smn_subscription",
       "DELETE FROM herald_smn_subscriptions WHERE project_id = $1 AND subscription_id = $2"},
      {"put_setting_if_absent",
       "INSERT INTO herald_settings VALUES ($1,$2) ON CONFLICT DO NOTHING"},
      {"find_setting", "SELECT value FROM herald_settings WHERE name = $1"},
      {"put_setting",
       "INSERT INTO herald_settings VALUES ($1,$2) ON CONFLICT (name) DO UPDATE SET value = $2"},
      {"put_push",
       "INSERT INTO herald_smn_pushes (" + std::string(k_push_columns) +
           ", owner) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) ON CONFLICT DO NOTHING"},
      {"update_push",
       "UPDATE herald_smn_pushes SET status = $1, attempts = $2, last_http_status = $3,"
       " last_error = $4, next_attempt_time = $5 WHERE message_id = $6 AND subscription_id = $7"},
      {"list_pushes", "SELECT " + std::string(k_push_columns) +
                          ", sequence FROM herald_smn_pushes WHERE project_id = $1 AND"
                          " topic_name = $2 AND sequence < $6 AND ($3 = '' OR status = $3) AND"
                          " (status = 'PENDING' OR timestamp * 1000 > $4) ORDER BY sequence DESC"
                          " LIMIT $5"},
      {"list_records",
       std::string(k_record_columns) +
           ", status, reason, sequence FROM herald_records WHERE project_id = $1 AND status IS"
           " NOT NULL AND trigger_time > $2 AND sequence < $3 AND ($4::text IS NULL OR"
           " event_name = $4) AND ($5::text IS NULL OR secret_name = $5) AND ($6::text IS NULL"
           " OR status = $6) ORDER BY sequence DESC LIMIT $7"},
      {"find_marker",
       "SELECT sequence FROM herald_records WHERE notification_id = $1 AND project_id = $2"},
  };
}

// One answer of the server, freed with it.
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
  PgResult& operator=(PgResult&& other) noexcept {
    std::swap(result_, other.result_);
    return *this;
  }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult() { PQclear(result_); }

  [[nodiscard]] int rows() const { return PQntuples(result_); }
  [[nodiscard]] std::size_t affected() const {
    const char* n = PQcmdTuples(result_);
    return n == nullptr || *n == '\0' ? 0 : std::stoull(n);
  }
  [[nodiscard]] PGresult* raw() const { return result_; }

 private:
  PGresult* result_;
};

// One row of a PgResult, as stored_rows reads rows.
class PgRow {
 public:
  PgRow(const PgResult& result, int row) : result_(result.raw()), row_(row) {}
  [[nodiscard]] std::string_view view(int column) const {
    return {PQgetvalue(result_, row_, column),
            static_cast<std::size_t>(PQgetlength(result_, row_, column))};
  }
  [[nodiscard]] std::string text(int column) const { return std::string(view(column)); }
  [[nodiscard]] std::int64_t integer(int column) const {
    return is_null(column) ? 0 : std::stoll(PQgetvalue(result_, row_, column));
  }
  [[nodiscard]] bool is_null(int column) const { return PQgetisnull(result_, row_, column) != 0; }

 private:
  PGresult* result_;
  int row_;
};

// A statement's parameters, as text (NULL when absent).
class Params {
 public:
  Params& add(std::string_view text) {
    values_.emplace_back(std::string(text));
    return *this;
  }
  Params& add(std::int64_t value) {
    values_.emplace_back(std::to_string(value));
    return *this;
  }
  Params& add(bool value) {
    values_.emplace_back(value ? "true" : "false");
    return *this;
  }
  Params& add_null() {
    values_.emplace_back(std::nullopt);
    return *this;
  }
  /// NULL when empty.
  Params& add_or_null(std::string_view text) { return text.empty() ? add_null() : add(text); }
  template <typename T>
  Params& add_optional(const std::optional<T>& value) {
    return value ? add(static_cast<std::int64_t>(*value)) : add_null();
  }
  [[nodiscard]] std::vector<const char*> pointers() const {
    std::vector<const char*> out;
    out.reserve(values_.size());
    for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
    return out;
  }

 private:
  std::vector<std::optional<std::string>> values_;
};

// What an answer that is not a success says: its SQLSTATE and message.
struct Failure {
  std::string sqlstate;
  std::string message;
  bool connection_lost = false;
};

// Either a T or the Failure of the statement that should have made it.
template <typename T>
class Outcome {
 public:
  Outcome(T value) : state_(std::in_place_index<0>, std::move(value)) {}            // NOLINT
  Outcome(Failure failure) : state_(std::in_place_index<1>, std::move(failure)) {}  // NOLINT
  explicit operator bool() const noexcept { return state_.index() == 0; }
  T& operator*() { return std::get<0>(state_); }
  T& value() { return std::get<0>(state_); }
  T* operator->() { return &std::get<0>(state_); }
  Failure& error() { return std::get<1>(state_); }

 private:
  std::variant<T, Failure> state_;
};

template <>
class Outcome<void> {
 public:
  Outcome() = default;
  Outcome(Failure failure) : failure_(std::move(failure)) {}  // NOLINT
  explicit operator bool() const noexcept { return !failure_; }
  Failure& error() { return *failure_; }

 private:
  std::optional<Failure> failure_;
};

// One libpq connection with herald's statements prepared on it.
class Connection {
 public:
  Connection() = default;
  explicit Connection(PGconn* conn) : conn_(conn) {}
  Connection(Connection&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}
  Connection& operator=(Connection&& other) noexcept {
    std::swap(conn_, other.conn_);
    return *this;
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { PQfinish(conn_); }

  [[nodiscard]] PGconn* raw() const { return conn_; }
  [[nodiscard]] bool healthy() const {
    return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
  }
  [[nodiscard]] std::string error() const {
    std::string message = conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    return message;
  }

  // No NOTICE on stderr, and UTC.
  Outcome<PgResult> quiet() {
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    return command("SET client_min_messages = warning; SET TIME ZONE 'UTC'");
  }

  // Every statement prepared.
  Result<void> prepare(std::string_view description) {
    for (const auto& s : statements()) {
      PgResult result(PQprepare(conn_, s.name, s.sql.c_str(), 0, nullptr));
      if (PQresultStatus(result.raw()) != PGRES_COMMAND_OK) {
        return unavailable(fmt::format("store {}: cannot prepare {}: {}", description, s.name,
                                       failure_of(result).message));
      }
    }
    return {};
  }

  // Runs SQL text without parameters (several statements allowed).
  Outcome<PgResult> command(const std::string& sql) {
    PgResult result(PQexec(conn_, sql.c_str()));
    const auto status = PQresultStatus(result.raw());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return failure_of(result);
    return result;
  }

  // Runs a prepared statement.
  Outcome<PgResult> run(const char* name, const Params& params) {
    const auto values = params.pointers();
    PgResult result(PQexecPrepared(conn_, name, static_cast<int>(values.size()), values.data(),
                                   nullptr, nullptr, 0));
    const auto status = PQresultStatus(result.raw());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return failure_of(result);
    return result;
  }

 private:
  Failure failure_of(const PgResult& result) const {
    Failure failure;
    if (const char* state = PQresultErrorField(result.raw(), PG_DIAG_SQLSTATE)) {
      failure.sqlstate = state;
    }
    const char* primary = PQresultErrorField(result.raw(), PG_DIAG_MESSAGE_PRIMARY);
    failure.message = primary != nullptr ? primary : error();
    failure.connection_lost = !healthy();
    return failure;
  }

  PGconn* conn_ = nullptr;
};

// Where the store is, for messages: never the whole conninfo (it may carry a password).
std::string describe(PGconn* conn) {
  const char* db = conn != nullptr ? PQdb(conn) : nullptr;
  const char* host = conn != nullptr ? PQhost(conn) : nullptr;
  return fmt::format("postgresql database {} on {}", db != nullptr ? db : "?",
                     host != nullptr ? host : "?");
}

// A new connection, quiet and in UTC; its statements are not prepared yet (prepare(), once the
// schema is there).
Result<Connection> open_connection(const std::string& conninfo,
                                   const PostgresStoreOptions& options) {
  // herald's defaults first: what the conninfo says (the expanded dbname) overrides them.
  const std::string timeout =
      std::to_string(std::max<long long>(options.connect_timeout.count(), 1));
  const std::array<const char*, 4> keywords = {"connect_timeout", "application_name", "dbname",
                                               nullptr};
  const std::array<const char*, 4> values = {timeout.c_str(), "herald", conninfo.c_str(), nullptr};
  Connection connection(PQconnectdbParams(keywords.data(), values.data(), 1));
  if (!connection.healthy()) {
    return unavailable(fmt::format("store {}: cannot connect: {}", describe(connection.raw()),
                                   connection.error()));
  }
  const std::string description = describe(connection.raw());
  if (auto r = connection.quiet(); !r) {
    return unavailable(fmt::format("store {}: {}", description, r.error().message));
  }
  return connection;
}

// A new connection ready for the store's statements.
Result<Connection> connect(const std::string& conninfo, const PostgresStoreOptions& options) {
  auto connection = open_connection(conninfo, options);
  if (!connection) return connection;
  if (auto r = connection->prepare(describe(connection->raw())); !r) return std::move(r).error();
  return connection;
}

// The SQLSTATEs of a transaction that may succeed when run again: serialization failure,
// deadlock.
bool worth_retrying(const Failure& failure) {
  return failure.sqlstate == "40001" || failure.sqlstate == "40P01";
}

class PostgresStore;

// A change of one project, on the store's changer_ connection, holding change_mutex_ and the
// project's row lock until commit or destruction.
class PgProjectChange final : public ProjectChange {
 public:
  PgProjectChange(PostgresStore& store, std::unique_lock<std::mutex> lock, std::string project_id,
                  std::uint64_t change);
  ~PgProjectChange() override;
  PgProjectChange(const PgProjectChange&) = delete;
  PgProjectChange& operator=(const PgProjectChange&) = delete;

  [[nodiscard]] std::uint64_t change() const override { return change_; }
  Result<ProjectState> load() override;
  Result<std::uint64_t> commit() override;

 private:
  PostgresStore& store_;
  std::unique_lock<std::mutex> lock_;
  std::string project_id_;
  std::uint64_t change_;
  bool finished_ = false;
};

class PostgresStore final : public Store {
 public:
  PostgresStore(std::string conninfo, std::string description, PostgresStoreOptions options,
                Connection writer, Connection reader, Connection changer, Connection listener,
                Connection leaser, std::string process_id)
      : conninfo_(std::move(conninfo)),
        description_(std::move(description)),
        options_(std::move(options)),
        process_id_(std::move(process_id)),
        writer_(std::move(writer)),
        reader_(std::move(reader)),
        changer_(std::move(changer)),
        listener_(std::move(listener)),
        leaser_(std::move(leaser)) {
    lease_thread_ = std::thread([this] { renew_leases(); });
  }

  ~PostgresStore() override {
    {
      std::lock_guard lock(lease_mutex_);
      stopping_ = true;
    }
    lease_wanted_.notify_all();
    lease_thread_.join();
    // What this process still had in hand goes to the others at once.
    if (leaser_.healthy()) {
      (void)leaser_.run("forget_process", Params().add(process_id_));
    }
  }

  [[nodiscard]] bool shared() const override { return true; }

  Result<StoreSnapshot> load() override {
    std::lock_guard lock(write_mutex_);
    // Deliveries and pushes of processes that ended become this one's first.
    auto claimed = in_transaction(writer_, "BEGIN", [&]() -> Outcome<void> {
      for (const char* claim : {"claim_records", "claim_pushes"}) {
        if (auto r = writer_.run(claim, Params().add(process_id_).add(INT64_MAX)); !r) {
          return std::move(r).error();
        }
      }
      return {};
    });
    if (!claimed) return failed("load", claimed.error());
    StoreSnapshot snapshot;
    // One snapshot of the database: REPEATABLE READ, read only.
    auto read = in_transaction(writer_, k_read_snapshot, [&]() -> Outcome<void> {
      snapshot = StoreSnapshot{};
      auto events = writer_.command(
          "SELECT project_id, name, event_id, event_types, state, create_time, update_time,"
          " target_type, target_id, target_name FROM herald_events ORDER BY project_id, name");
      if (!events) return std::move(events).error();
      for (int i = 0; i < events->rows(); ++i) {
        const PgRow row(*events, i);
        auto event = stored_rows::event_of(row, damaged_function());
        if (!event) return Failure{"", event.error().message()};
        snapshot.events.push_back({row.text(0), std::move(event).value()});
      }
      auto secrets = writer_.command(
          "SELECT s.project_id, s.secret_name, b.event_name FROM herald_secrets s LEFT JOIN"
          " herald_subscriptions b USING (project_id, secret_name) ORDER BY 1, 2, b.position");
      if (!secrets) return std::move(secrets).error();
      append_secrets(*secrets, snapshot.secrets);
      auto pending = writer_.run("own_records", Params().add(process_id_));
      if (!pending) return std::move(pending).error();
      for (int i = 0; i < pending->rows(); ++i) {
        auto notification = stored_rows::notification_of(PgRow(*pending, i), damaged_function());
        if (!notification) return Failure{"", notification.error().message()};
        snapshot.pending.push_back(std::move(notification).value());
      }
      if (auto r = load_topics_on(writer_, snapshot); !r) return r;
      auto pushes = writer_.run("own_pushes", Params().add(process_id_));
      if (!pushes) return std::move(pushes).error();
      for (int i = 0; i < pushes->rows(); ++i) {
        snapshot.pending_pushes.push_back(stored_rows::push_of(PgRow(*pushes, i)));
      }
      auto settings = writer_.command("SELECT name, value FROM herald_settings");
      if (!settings) return std::move(settings).error();
      for (int i = 0; i < settings->rows(); ++i) {
        const PgRow row(*settings, i);
        snapshot.settings[row.text(0)] = row.text(1);
      }
      auto timers = writer_.command(
          "SELECT project_id, secret_name, version_id, expire_time, secret_type FROM"
          " herald_expiry_timers ORDER BY 1, 2, 3");
      if (!timers) return std::move(timers).error();
      if (auto r = append_timers(*timers, snapshot.timers); !r) return r;
      auto changes = writer_.run("all_changes", Params());
      if (!changes) return std::move(changes).error();
      snapshot.changes = change_numbers(*changes);
      return {};
    });
    if (!read) return failed("load", read.error());
    return snapshot;
  }

  Result<std::unique_ptr<ProjectChange>> begin_change(std::string_view project_id) override {
    std::unique_lock lock(change_mutex_);
    const auto deadline = std::chrono::steady_clock::now() + k_write_retry_window;
    for (;;) {
      if (!reconnect(changer_, deadline)) {
        return unavailable("store: write failed: cannot reach the database: " + changer_.error());
      }
      auto begun = [&]() -> Outcome<PgResult> {
        if (auto r = changer_.command("BEGIN"); !r) return r;
        if (auto r = changer_.run("ensure_project", Params().add(project_id)); !r) return r;
        return changer_.run("lock_project", Params().add(project_id));
      }();
      if (begun) {
        const auto change = static_cast<std::uint64_t>(PgRow(*begun, 0).integer(0));
        change_owner_ = std::this_thread::get_id();
        return std::unique_ptr<ProjectChange>(std::make_unique<PgProjectChange>(
            *this, std::move(lock), std::string(project_id), change));
      }
      if (changer_.healthy()) (void)changer_.command("ROLLBACK");
      const bool again = begun.error().connection_lost || worth_retrying(begun.error());
      if (!again || std::chrono::steady_clock::now() >= deadline) {
        return failed("write", begun.error());
      }
    }
  }

  Result<std::vector<ProjectChangeNumber>> wait_for_changes(
      std::chrono::milliseconds timeout) override {
    std::lock_guard lock(listen_mutex_);
    if (!listening_ || !listener_.healthy()) {
      // A new connection may have missed notifications: every project is answered.
      if (!reconnect(listener_, std::chrono::steady_clock::now() + timeout)) {
        return unavailable("store: cannot reach the database: " + listener_.error());
      }
      if (auto r = listener_.command("LISTEN herald_changes"); !r) {
        return failed("listen", r.error());
      }
      listening_ = true;
      return all_change_numbers();
    }
    pollfd wait{PQsocket(listener_.raw()), POLLIN, 0};
    const int ready = ::poll(&wait, 1, static_cast<int>(timeout.count()));
    if (ready > 0 && PQconsumeInput(listener_.raw()) == 0) {
      listening_ = false;
      return unavailable("store: lost the database connection: " + listener_.error());
    }
    std::vector<std::string> notified;
    while (PGnotify* notify = PQnotifies(listener_.raw())) {
      notified.emplace_back(notify->extra);
      PQfreemem(notify);
    }
    if (notified.empty()) return all_change_numbers();
    std::ranges::sort(notified);
    notified.erase(std::unique(notified.begin(), notified.end()), notified.end());
    std::vector<ProjectChangeNumber> changes;
    for (const auto& project : notified) {
      auto found = listener_.run("project_change", Params().add(project));
      if (!found) return failed("read", found.error());
      changes.push_back({project, found->rows() == 0
                                      ? 0
                                      : static_cast<std::uint64_t>(PgRow(*found, 0).integer(0))});
    }
    return changes;
  }

  Result<ProjectState> load_project(std::string_view project_id) override {
    std::lock_guard lock(read_mutex_);
    ProjectState state;
    auto read = in_transaction(reader_, k_read_snapshot,
                               [&] { return load_project_on(reader_, project_id, state); });
    if (!read) return failed("read", read.error());
    return state;
  }

  Result<StoreSnapshot> load_topics() override {
    std::lock_guard lock(read_mutex_);
    StoreSnapshot snapshot;
    auto read = in_transaction(reader_, k_read_snapshot, [&] {
      snapshot = StoreSnapshot{};
      return load_topics_on(reader_, snapshot);
    });
    if (!read) return failed("read", read.error());
    return snapshot;
  }

  Result<std::string> put_setting_if_absent(std::string_view name,
                                            std::string_view value) override {
    std::string stored;
    auto r = write([&](Connection& c) -> Outcome<PgResult> {
      if (auto put = c.run("put_setting_if_absent", Params().add(name).add(value)); !put) {
        return put;
      }
      auto found = c.run("find_setting", Params().add(name));
      if (found && found->rows() > 0) stored = PgRow(*found, 0).text(0);
      return found;
    });
    if (!r) return r.error();
    return stored;
  }

  Result<TimerClaim> claim_timer(const StoredTimer& t) override {
    std::optional<TimerClaim> claim;
    auto r = write([&](Connection& c) -> Outcome<PgResult> {
      const auto key = Params().add(t.project_id).add(t.secret_name).add(t.version_id);
      auto removed = c.run("claim_timer", key);
      if (!removed || removed->rows() > 0) {
        claim = TimerClaim::fire;
        return removed;
      }
      auto still = c.run("find_timer", key);
      if (still) claim = still->rows() > 0 ? TimerClaim::not_due : TimerClaim::gone;
      return still;
    });
    if (!r) return r.error();
    return *claim;
  }

  Result<std::vector<std::shared_ptr<const Notification>>> claim_orphans(
      std::size_t limit) override {
    std::vector<std::shared_ptr<const Notification>> claimed;
    auto r = write([&](Connection& c) -> Outcome<PgResult> {
      claimed.clear();
      auto rows =
          c.run("claim_records", Params().add(process_id_).add(static_cast<std::int64_t>(limit)));
      if (!rows) return rows;
      std::vector<std::pair<std::int64_t, std::shared_ptr<const Notification>>> found;
      for (int i = 0; i < rows->rows(); ++i) {
        const PgRow row(*rows, i);
        auto notification = stored_rows::notification_of(row, damaged_function());
        if (!notification) return Failure{"", notification.error().message()};
        found.emplace_back(row.integer(13), std::move(notification).value());
      }
      std::ranges::sort(found, {}, &decltype(found)::value_type::first);
      for (auto& [sequence, notification] : found) claimed.push_back(std::move(notification));
      return rows;
    });
    if (!r) return r.error();
    return claimed;
  }

  Result<std::vector<StoredPush>> claim_orphan_pushes(std::size_t limit) override {
    std::vector<std::pair<std::int64_t, StoredPush>> found;
    auto r = write([&](Connection& c) -> Outcome<PgResult> {
      found.clear();
      auto rows =
          c.run("claim_pushes", Params().add(process_id_).add(static_cast<std::int64_t>(limit)));
      if (!rows) return rows;
      for (int i = 0; i < rows->rows(); ++i) {
        const PgRow row(*rows, i);
        found.emplace_back(row.integer(12), stored_rows::push_of(row));
      }
      return rows;
    });
    if (!r) return r.error();
    std::ranges::sort(found, {}, &decltype(found)::value_type::first);
    std::vector<StoredPush> claimed;
    for (auto& [sequence, push] : found) claimed.push_back(std::move(push));
    return claimed;
  }

  Result<void> put_event(std::string_view project_id, const Event& e) override {
    return write([&](Connection& c) {
      return c.run("put_event", Params()
                                    .add(project_id)
                                    .add(e.name)
                                    .add(e.event_id)
                                    .add(stored_rows::join_types(e.event_types))
                                    .add(to_string(e.state))
                                    .add(to_epoch_ms(e.create_time))
                                    .add(to_epoch_ms(e.update_time))
                                    .add(e.notification.target_type)
                                    .add(e.notification.target_id)
                                    .add(e.notification.target_name));
    });
  }
  Result<void> delete_event(std::string_view project_id, std::string_view name) override {
    return write(
        [&](Connection& c) { return c.run("delete_event", Params().add(project_id).add(name)); });
  }
  Result<void> put_secret(std::string_view project_id, std::string_view secret_name,
                          std::span<const std::string> names) override {
    return write([&](Connection& c) -> Outcome<PgResult> {
      const auto key = Params().add(project_id).add(secret_name);
      if (auto r = c.run("put_secret", key); !r) return r;
      auto r = c.run("clear_subscriptions", key);
      for (std::size_t i = 0; r && i < names.size(); ++i) {
        r = c.run("put_subscription", Params()
                                          .add(project_id)
                                          .add(secret_name)
                                          .add(static_cast<std::int64_t>(i))
                                          .add(names[i]));
      }
      return r;
    });
  }
  Result<void> delete_secret(std::string_view project_id, std::string_view secret_name) override {
    return write([&](Connection& c) -> Outcome<PgResult> {
      const auto key = Params().add(project_id).add(secret_name);
      if (auto r = c.run("clear_subscriptions", key); !r) return r;
      if (auto r = c.run("delete_timers_of_secret", key); !r) return r;
      return c.run("delete_secret", key);
    });
  }
  Result<void> put_timer(const StoredTimer& t) override {
    return write([&](Connection& c) {
      return c.run("put_timer", Params()
                                    .add(t.project_id)
                                    .add(t.secret_name)
                                    .add(t.version_id)
                                    .add(to_epoch_ms(t.expire_time))
                                    .add(to_string(t.secret_type)));
    });
  }
  Result<void> delete_timer(std::string_view project_id, std::string_view secret_name,
                            std::string_view version_id) override {
    return write([&](Connection& c) {
      return c.run("delete_timer", Params().add(project_id).add(secret_name).add(version_id));
    });
  }
  Result<void> put_topic(const StoredTopic& topic) override {
    return write([&](Connection& c) {
      return c.run("put_topic",
                   Params().add(topic.project_id).add(topic.name).add(topic.display_name));
    });
  }
  Result<void> delete_topic(std::string_view project_id, std::string_view name) override {
    return write([&](Connection& c) -> Outcome<PgResult> {
      const auto key = Params().add(project_id).add(name);
      if (auto r = c.run("delete_topic_subscriptions", key); !r) return r;
      return c.run("delete_topic", key);
    });
  }
  Result<void> put_subscription(const StoredSubscription& s) override {
    return write([&](Connection& c) {
      return c.run("put_smn_subscription", Params()
                                               .add(s.project_id)
                                               .add(s.subscription_id)
                                               .add(s.topic_name)
                                               .add(s.protocol)
                                               .add(s.endpoint)
                                               .add(s.remark)
                                               .add(s.confirmed)
                                               .add(s.signing_secret)
                                               .add(s.confirm_token)
                                               .add(s.unsubscribe_token));
    });
  }
  Result<void> delete_subscription(std::string_view project_id,
                                   std::string_view subscription_id) override {
    return write([&](Connection& c) {
      return c.run("delete_smn_subscription", Params().add(project_id).add(subscription_id));
    });
  }
  Result<void> put_setting(std::string_view name, std::string_view value) override {
    return write(
        [&](Connection& c) { return c.run("put_setting", Params().add(name).add(value)); });
  }
  Result<void> put_pushes(std::span<const StoredPush> pushes) override {
    return write([&](Connection& c) -> Outcome<void> {
      for (const auto& p : pushes) {
        auto r = c.run("put_push", Params()
                                       .add(p.message_id)
                                       .add(p.project_id)
                                       .add(p.topic_name)
                                       .add(p.subscription_id)
                                       .add(p.message)
                                       .add(p.subject)
                                       .add(p.timestamp)
                                       .add(p.status)
                                       .add(static_cast<std::int64_t>(p.attempts))
                                       .add_optional(p.last_http_status)
                                       .add(p.last_error)
                                       .add_optional(p.next_attempt_time)
                                       .add(process_id_));
        if (!r) return std::move(r).error();
      }
      return {};
    });
  }
  Result<void> update_push(const StoredPush& p) override {
    return write([&](Connection& c) {
      return c.run("update_push", Params()
                                      .add(p.status)
                                      .add(static_cast<std::int64_t>(p.attempts))
                                      .add_optional(p.last_http_status)
                                      .add(p.last_error)
                                      .add_optional(p.next_attempt_time)
                                      .add(p.message_id)
                                      .add(p.subscription_id));
    });
  }
  Result<std::vector<StoredPush>> list_pushes(std::string_view project_id,
                                              std::string_view topic_name, std::string_view status,
                                              std::size_t limit, TimePoint prune_before,
                                              std::int64_t before) override {
    std::lock_guard lock(read_mutex_);
    const auto params = Params()
                            .add(project_id)
                            .add(topic_name)
                            .add(status)
                            .add(to_epoch_ms(prune_before))
                            .add(static_cast<std::int64_t>(limit))
                            .add(before);
    auto result = read([&] { return reader_.run("list_pushes", params); });
    if (!result) return result.error();
    std::vector<StoredPush> page;
    for (int i = 0; i < result->rows(); ++i) {
      const PgRow row(*result, i);
      page.push_back(stored_rows::push_of(row));
      page.back().sequence = row.integer(12);
    }
    return page;
  }

  Result<void> begin_deliveries(std::span<const Notification* const> notifications,
                                TimePoint prune_before) override {
    return write(
        [&](Connection& c) -> Outcome<void> {
          if (auto r = prune(c, prune_before); !r) return r;
          for (const Notification* n : notifications) {
            Params params;
            params.add(n->notification_id)
                .add(n->project_id)
                .add(n->event_name)
                .add(n->event_id)
                .add(to_string(n->trigger_event_type))
                .add(n->secret_name)
                .add(to_string(n->secret_type));
            if (n->version_id) {
              params.add(*n->version_id);
            } else {
              params.add_null();
            }
            params.add(to_epoch_ms(n->trigger_time))
                .add(n->target.target_type)
                .add(n->target.target_id)
                .add(n->target.target_name)
                .add(n->message())
                .add(process_id_);
            if (auto r = c.run("put_record", params); !r) return std::move(r).error();
          }
          return {};
        },
        notifications.size() == 1 && !prune_due(prune_before));
  }

  // Committed before it answers (listings see it), only over a status not final yet (a delivery
  // made by two processes, one thought dead, is finalised once), and without waiting for the
  // commit's WAL flush: as the SQLite store's batched durability, a status lost to a crash of
  // the database means the delivery is made again, with the same notification_id. A crash of
  // herald loses none. On a connection of its own (synchronous_commit off for the session), one
  // statement in autocommit: a delivery worker never waits for a trigger's commit.
  Result<void> finish_delivery(std::string_view notification_id, NotificationStatus status,
                               std::string_view reason) override {
    const auto params = Params().add(to_string(status)).add(reason).add(notification_id);
    std::lock_guard lock(finish_mutex_);
    const auto started = std::chrono::steady_clock::now();
    auto result = in_transaction(finisher_, nullptr, [&]() -> Outcome<void> {
      if (finisher_session_ != finisher_.raw()) {  // a new connection
        if (auto r = finisher_.command("SET synchronous_commit TO OFF"); !r) {
          return std::move(r).error();
        }
        finisher_session_ = finisher_.raw();
      }
      auto r = finisher_.run("finish_record", params);
      if (!r) return std::move(r).error();
      return {};
    });
    if (options_.metrics) {
      options_.metrics->observe_commit(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    if (!result) return failed("write", result.error());
    return {};
  }

  Result<Page<NotificationRecord>> list_records(std::string_view project_id,
                                                const RecordQuery& query,
                                                TimePoint prune_before) override {
    if (!query.marker.empty() && !detail::is_lower_case_uuid(query.marker)) {
      return Error{ErrorCode::invalid_argument,
                   "marker: must be the next_marker of a previous page of records"};
    }
    std::lock_guard lock(read_mutex_);
    Page<NotificationRecord> page;
    std::int64_t before = INT64_MAX;
    if (!query.marker.empty()) {
      page.page_info.previous_marker = query.marker;
      auto found = read(
          [&] { return reader_.run("find_marker", Params().add(query.marker).add(project_id)); });
      if (!found) return found.error();
      if (found->rows() == 0) return page;  // pruned since (or never ours): nothing after it
      before = PgRow(*found, 0).integer(0);
    }
    Params params;
    params.add(project_id).add(to_epoch_ms(prune_before)).add(before);
    params.add_or_null(query.event_name).add_or_null(query.secret_name);
    params.add_or_null(query.status ? to_string(*query.status) : std::string_view{});
    params.add(static_cast<std::int64_t>(query.limit) + 1);
    auto result = read([&] { return reader_.run("list_records", params); });
    if (!result) return result.error();
    for (int i = 0; i < result->rows(); ++i) {
      if (page.items.size() == query.limit) {
        page.page_info.next_marker = page.items.back().notification_id;
        break;
      }
      const PgRow row(*result, i);
      auto notification = stored_rows::notification_of(row, damaged_function());
      const auto status = parse_notification_status(row.view(13));
      if (!notification || !status) return damaged("a record has an unknown type or status");
      page.items.push_back(detail::record_of(*notification, *status, row.text(14)));
    }
    page.page_info.current_count = page.items.size();
    return page;
  }

 private:
  friend class PgProjectChange;

  // How long a write is retried while the database cannot be reached (contract §8: then 503).
  static constexpr auto k_write_retry_window = std::chrono::seconds(5);
  static constexpr int k_max_conflict_retries = 20;
  static constexpr std::int64_t k_prune_batch = 1000;
  static constexpr auto k_prune_step = std::chrono::milliseconds(20);
  // One snapshot of the database, for reads of several tables.
  static constexpr const char* k_read_snapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

  Error damaged(std::string_view what) const {
    return unavailable(fmt::format("store {}: {}", description_, what));
  }
  // stored_rows' way of naming what is damaged.
  struct Damaged {
    const PostgresStore* store;
    Error operator()(std::string_view what) const { return store->damaged(what); }
  };
  [[nodiscard]] Damaged damaged_function() const { return Damaged{this}; }
  // No conninfo and no database name: this message may reach a client.
  static Error failed(std::string_view what, const Failure& failure) {
    return unavailable(fmt::format("store: {} failed: {}", what, failure.message));
  }

  // Secrets with their subscriptions, from rows (project_id, secret_name, event_name or NULL)
  // ordered by project, secret and position.
  static void append_secrets(PgResult& rows, std::vector<StoredSecret>& secrets) {
    for (int i = 0; i < rows.rows(); ++i) {
      const PgRow row(rows, i);
      if (secrets.empty() || secrets.back().project_id != row.view(0) ||
          secrets.back().secret_name != row.view(1)) {
        secrets.push_back({row.text(0), row.text(1), {}});
      }
      if (!row.is_null(2)) secrets.back().event_subscriptions.push_back(row.text(2));
    }
  }
  Outcome<void> append_timers(PgResult& rows, std::vector<StoredTimer>& timers) const {
    for (int i = 0; i < rows.rows(); ++i) {
      const PgRow row(rows, i);
      const auto type = parse_secret_type(row.view(4));
      if (!type)
        return Failure{"", damaged("an expiry timer has an unknown secret_type").message()};
      timers.push_back(
          StoredTimer{row.text(0), row.text(1), row.text(2), from_epoch_ms(row.integer(3)), *type});
    }
    return {};
  }
  static std::vector<ProjectChangeNumber> change_numbers(PgResult& rows) {
    std::vector<ProjectChangeNumber> changes;
    for (int i = 0; i < rows.rows(); ++i) {
      const PgRow row(rows, i);
      changes.push_back({row.text(0), static_cast<std::uint64_t>(row.integer(1))});
    }
    return changes;
  }
  // Requires: listen_mutex_ held.
  Result<std::vector<ProjectChangeNumber>> all_change_numbers() {
    auto rows = listener_.run("all_changes", Params());
    if (!rows) return failed("read", rows.error());
    return change_numbers(*rows);
  }

  // The SMN topics and subscriptions, read on `c` into `snapshot`.
  static Outcome<void> load_topics_on(Connection& c, StoreSnapshot& snapshot,
                                      const char* topics_statement = "all_topics",
                                      const char* subscriptions_statement = "all_smn_subscriptions",
                                      const Params& params = Params()) {
    auto topics = c.run(topics_statement, params);
    if (!topics) return std::move(topics).error();
    for (int i = 0; i < topics->rows(); ++i) {
      const PgRow row(*topics, i);
      snapshot.topics.push_back(StoredTopic{row.text(0), row.text(1), row.text(2)});
    }
    auto smn = c.run(subscriptions_statement, params);
    if (!smn) return std::move(smn).error();
    for (int i = 0; i < smn->rows(); ++i) {
      const PgRow row(*smn, i);
      snapshot.subscriptions.push_back(StoredSubscription{
          row.text(0), row.text(1), row.text(2), row.text(3), row.text(4), row.text(5),
          row.view(6) == "t", row.text(7), row.text(8), row.text(9)});
    }
    return {};
  }

  // One project's configuration, read on `c` (inside the caller's transaction).
  Outcome<void> load_project_on(Connection& c, std::string_view project_id, ProjectState& state) {
    state = ProjectState{};
    state.project_id = std::string(project_id);
    const auto key = Params().add(project_id);
    auto change = c.run("project_change", key);
    if (!change) return std::move(change).error();
    if (change->rows() > 0) state.change = static_cast<std::uint64_t>(PgRow(*change, 0).integer(0));
    auto events = c.run("project_events", key);
    if (!events) return std::move(events).error();
    for (int i = 0; i < events->rows(); ++i) {
      auto event = stored_rows::event_of(PgRow(*events, i), damaged_function());
      if (!event) return Failure{"", event.error().message()};
      state.events.push_back(std::move(event).value());
    }
    auto secrets = c.run("project_secrets", key);
    if (!secrets) return std::move(secrets).error();
    append_secrets(*secrets, state.secrets);
    auto timers = c.run("project_timers", key);
    if (!timers) return std::move(timers).error();
    if (auto r = append_timers(*timers, state.timers); !r) return r;
    StoreSnapshot smn;
    if (auto r = load_topics_on(c, smn, "project_topics", "project_smn_subscriptions", key); !r) {
      return r;
    }
    state.topics = std::move(smn.topics);
    state.subscriptions = std::move(smn.subscriptions);
    return {};
  }

  // Reconnects `connection` when it was lost, within `deadline`. Requires: its mutex held.
  bool reconnect(Connection& connection, std::chrono::steady_clock::time_point deadline) {
    while (!connection.healthy()) {
      if (auto fresh = connect(conninfo_, options_); fresh) {
        connection = std::move(fresh).value();
        return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return true;
  }

  // Runs `body` in a transaction begun by `begin` on `c` (or, with `begin` null, a body of one
  // statement in autocommit: one round trip instead of three): again after a serialization
  // failure or a deadlock, and again on a new connection after a lost one, for up to
  // k_write_retry_window. Requires: the connection's mutex held.
  template <typename Body>
  Outcome<void> in_transaction(Connection& c, const char* begin, Body body) {
    const auto deadline = std::chrono::steady_clock::now() + k_write_retry_window;
    Failure last;
    for (int attempt = 0; attempt < k_max_conflict_retries; ++attempt) {
      if (!reconnect(c, deadline)) {
        return Failure{"", "cannot reach the database: " + c.error(), true};
      }
      auto result = [&]() -> Outcome<void> {
        if (begin == nullptr) return body();  // one statement, committed by itself
        if (auto r = c.command(begin); !r) return std::move(r).error();
        if (auto r = body(); !r) return std::move(r).error();
        if (auto r = c.command("COMMIT"); !r) return std::move(r).error();
        return {};
      }();
      if (result) return result;
      last = std::move(result).error();
      if (begin != nullptr && c.healthy()) (void)c.command("ROLLBACK");
      if (!last.connection_lost && !worth_retrying(last)) return last;
      if (last.connection_lost && std::chrono::steady_clock::now() >= deadline) return last;
    }
    return last;
  }

  // One write waiting for the writer: its statements, whether they are one statement, and (once
  // done) its result.
  struct WriteJob {
    std::function<Outcome<void>(Connection&)> body;
    bool one_statement = false;  // alone, it needs no BEGIN and COMMIT
    bool done = false;
    Result<void> result;
  };

  // A write: inside this thread's ProjectChange when one is open (it commits), else a job for
  // the writer (group commit).
  template <typename Body>
  Result<void> write(Body body, bool one_statement = false) {
    if (change_owner_.load() == std::this_thread::get_id()) {
      if (auto r = body(changer_); !r) return failed("write", r.error());
      return {};
    }
    WriteJob job{[&body](Connection& c) -> Outcome<void> {
                   auto r = body(c);
                   if (!r) return std::move(r).error();
                   return {};
                 },
                 one_statement,
                 false,
                 {}};
    return submit(job);
  }

  // One writer owns writer_. Whoever submits while no one writes becomes the writer: it commits
  // every job queued meanwhile in one transaction, then the ones queued during that commit,
  // while the others wait for their job's result. A job of one statement that finds no other
  // waiting is run in autocommit (one round trip).
  Result<void> submit(WriteJob& mine) {
    group_commit_.submit(mine, [this](const std::vector<WriteJob*>& jobs) { commit_jobs(jobs); });
    return mine.result;
  }

  // Commits `jobs` in one transaction; if it fails, each job alone, so that one job's error is
  // not another's. Requires: the caller is the writer.
  void commit_jobs(const std::vector<WriteJob*>& jobs) {
    std::lock_guard lock(write_mutex_);
    const auto together = commit_together(jobs);
    if (together || jobs.size() == 1) {
      for (WriteJob* job : jobs) job->result = together;
      return;
    }
    for (WriteJob* job : jobs) job->result = commit_together({job});
  }

  Result<void> commit_together(const std::vector<WriteJob*>& jobs) {
    const auto started = std::chrono::steady_clock::now();
    const bool alone = jobs.size() == 1 && jobs.front()->one_statement;
    auto result = in_transaction(writer_, alone ? nullptr : "BEGIN", [&]() -> Outcome<void> {
      for (WriteJob* job : jobs) {
        if (auto r = job->body(writer_); !r) return std::move(r).error();
      }
      return {};
    });
    if (options_.metrics) {
      options_.metrics->observe_commit(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    if (!result) return failed("write", result.error());
    return {};
  }

  // A read on reader_, again on a new connection after a lost one. Requires: read_mutex_ held.
  template <typename Body>
  Result<PgResult> read(Body body) {
    const auto deadline = std::chrono::steady_clock::now() + k_write_retry_window;
    for (;;) {
      if (!reconnect(reader_, deadline)) {
        return unavailable("store: read failed: cannot reach the database: " + reader_.error());
      }
      auto result = body();
      if (result) return std::move(*result);
      if (!result.error().connection_lost || std::chrono::steady_clock::now() >= deadline) {
        return failed("read", result.error());
      }
    }
  }

  // Retention, bounded: at most k_prune_batch records and pushes a transaction, once the
  // pruning time has moved on by k_prune_step (or at once while a backlog remains). Requires:
  // inside a transaction on `c`.
  bool prune_due(TimePoint prune_before) {
    std::lock_guard lock(prune_mutex_);
    return prune_due_locked(prune_before);
  }
  bool prune_due_locked(TimePoint prune_before) const {
    return prune_backlog_ || !last_prune_ || prune_before - *last_prune_ >= k_prune_step;
  }
  Outcome<void> prune(Connection& c, TimePoint prune_before) {
    std::lock_guard lock(prune_mutex_);
    if (!prune_due_locked(prune_before)) return {};
    const std::int64_t ms = to_epoch_ms(prune_before);
    auto records = c.run("prune_records", Params().add(ms).add(k_prune_batch));
    if (!records) return std::move(records).error();
    auto pushes = c.run("prune_pushes", Params().add(ms).add(k_prune_batch));
    if (!pushes) return std::move(pushes).error();
    prune_backlog_ = records->affected() >= static_cast<std::size_t>(k_prune_batch) ||
                     pushes->affected() >= static_cast<std::size_t>(k_prune_batch);
    last_prune_ = prune_before;
    return {};
  }

  // The lease thread: renews this process's lease every third of it, and drops the leases of
  // processes long gone (so that herald_processes stays as small as the processes running).
  void renew_leases() {
    const auto period =
        std::max<std::chrono::milliseconds>(options_.lease / 3, std::chrono::milliseconds(10));
    std::unique_lock lock(lease_mutex_);
    while (!stopping_) {
      lock.unlock();
      if (reconnect(leaser_, std::chrono::steady_clock::now() + period)) {
        (void)leaser_.run(
            "renew_process",
            Params().add(process_id_).add(static_cast<std::int64_t>(options_.lease.count())));
        (void)leaser_.run("sweep_processes",
                          Params().add(static_cast<std::int64_t>(options_.lease.count()) * 10));
      }
      lock.lock();
      lease_wanted_.wait_for(lock, period, [this] { return stopping_; });
    }
  }

  const std::string conninfo_;
  const std::string description_;
  const PostgresStoreOptions options_;
  const std::string process_id_;
  detail::GroupCommit<WriteJob> group_commit_;  // its lock is taken before write_mutex_
  std::mutex write_mutex_;                      // guards writer_
  Connection writer_;
  std::mutex prune_mutex_;  // guards the pruning state
  std::optional<TimePoint> last_prune_;
  bool prune_backlog_ = false;
  std::mutex read_mutex_;  // guards reader_
  Connection reader_;
  std::mutex finish_mutex_;                   // guards finisher_ and finisher_session_
  Connection finisher_;                       // connected at the first final status
  const PGconn* finisher_session_ = nullptr;  // the connection synchronous_commit is off on
  std::mutex change_mutex_;                   // guards changer_: held by the open ProjectChange
  Connection changer_;
  std::atomic<std::thread::id> change_owner_{};  // the thread whose ProjectChange is open
  std::mutex listen_mutex_;                      // guards listener_ and listening_
  Connection listener_;
  bool listening_ = false;
  Connection leaser_;  // the lease thread's
  std::mutex lease_mutex_;
  std::condition_variable lease_wanted_;
  bool stopping_ = false;
  std::thread lease_thread_;
};

PgProjectChange::PgProjectChange(PostgresStore& store, std::unique_lock<std::mutex> lock,
                                 std::string project_id, std::uint64_t change)
    : store_(store), lock_(std::move(lock)), project_id_(std::move(project_id)), change_(change) {}

PgProjectChange::~PgProjectChange() {
  if (!finished_ && store_.changer_.healthy()) (void)store_.changer_.command("ROLLBACK");
  store_.change_owner_ = std::thread::id{};
}

Result<ProjectState> PgProjectChange::load() {
  ProjectState state;
  if (auto r = store_.load_project_on(store_.changer_, project_id_, state); !r) {
    return PostgresStore::failed("read", r.error());
  }
  return state;
}

Result<std::uint64_t> PgProjectChange::commit() {
  finished_ = true;
  auto& c = store_.changer_;
  const auto started = std::chrono::steady_clock::now();
  auto bumped = c.run("bump_project", Params().add(project_id_));
  std::optional<Failure> failure;
  if (!bumped) {
    failure = bumped.error();
  } else if (auto notified = c.run("notify_change", Params().add(project_id_)); !notified) {
    failure = notified.error();
  } else if (auto committed = c.command("COMMIT"); !committed) {
    failure = committed.error();
  }
  if (store_.options_.metrics) {
    store_.options_.metrics->observe_commit(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (failure) {
    if (c.healthy()) (void)c.command("ROLLBACK");
    return PostgresStore::failed("write", *failure);
  }
  return static_cast<std::uint64_t>(PgRow(*bumped, 0).integer(0));
}

// Creates the schema, or migrates it, under the advisory lock; refuses a database written by a
// newer herald, or one whose herald_ tables have no schema version.
Result<void> migrate(Connection& connection, const std::string& description) {
  const auto fail = [&](std::string_view what) {
    (void)connection.command("ROLLBACK");
    return unavailable(fmt::format("store {}: {}", description, what));
  };
  if (auto r = connection.command("BEGIN"); !r) return fail(r.error().message);
  if (auto r = connection.command(std::string(k_schema_lock)); !r) return fail(r.error().message);
  auto found = connection.command(
      "SELECT to_regclass('herald_schema') IS NOT NULL, to_regclass('herald_events') IS NOT NULL");
  if (!found) return fail(found.error().message);
  const PgRow tables(*found, 0);
  std::int64_t version = 0;
  if (tables.view(0) == "t") {
    auto stored = connection.command("SELECT max(version) FROM herald_schema");
    if (!stored) return fail(stored.error().message);
    version = PgRow(*stored, 0).integer(0);
  } else if (tables.view(1) == "t") {
    return fail("holds herald tables without a schema version (another program's, or damaged)");
  } else if (auto r = connection.command("CREATE TABLE herald_schema (version INTEGER NOT NULL);"
                                         " INSERT INTO herald_schema VALUES (0)");
             !r) {
    return fail(r.error().message);
  }
  if (version > k_postgres_schema_version) {
    return fail(
        fmt::format("written by a newer herald (schema version {}; this herald reads up "
                    "to {})",
                    version, k_postgres_schema_version));
  }
  for (auto v = version; v < k_postgres_schema_version; ++v) {
    const auto script =
        fmt::format("{} UPDATE herald_schema SET version = {};", k_migrations[v], v + 1);
    if (auto r = connection.command(script); !r) {
      return fail(fmt::format("migrating to schema version {}: {}", v + 1, r.error().message));
    }
  }
  if (auto r = connection.command("COMMIT"); !r) return fail(r.error().message);
  return {};
}

}  // namespace

bool is_postgres_conninfo(std::string_view store) {
  if (store.starts_with("postgresql://") || store.starts_with("postgres://")) return true;
  if (store.find('=') == std::string_view::npos) return false;
  // keyword=value: only when libpq reads every keyword (a file name with '=' is not one).
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(store).c_str(), &error);
  PQfreemem(error);
  const bool parsed = options != nullptr;
  PQconninfoFree(options);
  return parsed;
}

Result<std::shared_ptr<Store>> open_postgres_store(std::string_view conninfo,
                                                   PostgresStoreOptions options) {
  if (options.lease < k_min_store_lease) {
    return Error{ErrorCode::invalid_argument,
                 fmt::format("lease: must be at least {} ms, not {} ms", k_min_store_lease.count(),
                             options.lease.count())};
  }
  const std::string text(conninfo);
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(text.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string message = parse_error != nullptr ? parse_error : "out of memory";
    PQfreemem(parse_error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return unavailable(fmt::format("store: not a PostgreSQL connection string: {}", message));
  }
  PQconninfoFree(parsed);
  auto writer = open_connection(text, options);
  if (!writer) return std::move(writer).error();
  const std::string description = describe(writer->raw());
  if (auto r = migrate(*writer, description); !r) return std::move(r).error();
  if (auto r = writer->prepare(description); !r) return std::move(r).error();
  std::array<Connection, 4> others;  // reader, changer, listener, leaser
  for (auto& other : others) {
    auto made = connect(text, options);
    if (!made) return std::move(made).error();
    other = std::move(made).value();
  }
  // This process's lease, before it owns anything.
  const std::string process_id = detail::new_uuid_v4();
  if (auto r = others[3].run(
          "renew_process",
          Params().add(process_id).add(static_cast<std::int64_t>(options.lease.count())));
      !r) {
    return unavailable(fmt::format("store {}: {}", description, r.error().message));
  }
  return std::shared_ptr<Store>(std::make_shared<PostgresStore>(
      text, description, std::move(options), std::move(writer).value(), std::move(others[0]),
      std::move(others[1]), std::move(others[2]), std::move(others[3]), process_id));
}

}  // namespace herald
