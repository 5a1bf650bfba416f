// The SQLite Store: WAL mode, prepared statements, schema version in PRAGMA user_version.
#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "herald/metrics.hpp"
#include "herald/store.hpp"
#include "model/uuid.hpp"
#include "records/record_log.hpp"
#include "store/group_commit.hpp"
#include "store/stored_rows.hpp"
#include "validate/validate.hpp"

namespace herald {
namespace {

// The schema, one script per version: opening an older file runs the scripts after its version.
constexpr std::string_view k_migrations[] = {
    // 1: events, secrets and their ordered subscriptions, expiry timers.
    R"sql(
CREATE TABLE events (
  project_id TEXT NOT NULL, name TEXT NOT NULL, event_id TEXT NOT NULL,
  event_types TEXT NOT NULL, state TEXT NOT NULL,
  create_time INTEGER NOT NULL, update_time INTEGER NOT NULL,
  target_type TEXT NOT NULL, target_id TEXT NOT NULL, target_name TEXT NOT NULL,
  PRIMARY KEY (project_id, name)) WITHOUT ROWID;
CREATE TABLE secrets (
  project_id TEXT NOT NULL, secret_name TEXT NOT NULL,
  PRIMARY KEY (project_id, secret_name)) WITHOUT ROWID;
CREATE TABLE subscriptions (
  project_id TEXT NOT NULL, secret_name TEXT NOT NULL, position INTEGER NOT NULL,
  event_name TEXT NOT NULL,
  PRIMARY KEY (project_id, secret_name, position)) WITHOUT ROWID;
CREATE TABLE expiry_timers (
  project_id TEXT NOT NULL, secret_name TEXT NOT NULL, version_id TEXT NOT NULL,
  expire_time INTEGER NOT NULL, secret_type TEXT NOT NULL,
  PRIMARY KEY (project_id, secret_name, version_id)) WITHOUT ROWID;
)sql",
    // 2: notification records (status NULL while pending) and the delivery outbox.
    R"sql(
CREATE TABLE records (
  sequence INTEGER PRIMARY KEY, notification_id TEXT NOT NULL UNIQUE, project_id TEXT NOT NULL,
  event_name TEXT NOT NULL, event_id TEXT NOT NULL, trigger_event_type TEXT NOT NULL,
  secret_name TEXT NOT NULL, secret_type TEXT NOT NULL, version_id TEXT,
  trigger_time INTEGER NOT NULL, target_type TEXT NOT NULL, target_id TEXT NOT NULL,
  target_name TEXT NOT NULL, content TEXT NOT NULL, status TEXT, reason TEXT NOT NULL);
CREATE INDEX records_by_time ON records (trigger_time);
CREATE TABLE outbox (notification_id TEXT PRIMARY KEY, attempts INTEGER NOT NULL) WITHOUT ROWID;
)sql",
    // 3: the SMN stand-in's topics, so that a restarted server delivers to the same topics.
    R"sql(
CREATE TABLE smn_topics (
  project_id TEXT NOT NULL, name TEXT NOT NULL, display_name TEXT NOT NULL,
  PRIMARY KEY (project_id, name)) WITHOUT ROWID;
)sql",
    // 4: the outbox is the records whose status is still NULL: one B-tree fewer to write in
    // every trigger's transaction. Pending deliveries of a version-3 file are kept (their records
    // already have status NULL).
    R"sql(
DROP TABLE outbox;
)sql",
    // 5: a project's records newest first (ListNotificationRecords reads them from here, not
    // from memory), and the outbox found without scanning every record at start.
    R"sql(
CREATE INDEX records_by_project ON records (project_id, sequence);
CREATE INDEX records_pending ON records (sequence) WHERE status IS NULL;
)sql",
    // 6: notification ids are UUID v7, ordered by trigger time: retention prunes through the
    // id's index, and the time index goes (one B-tree fewer to write in every transaction).
    // Records of other ids (UUID v4, from older versions) keep a time index of their own.
    R"sql(
DROP INDEX records_by_time;
CREATE INDEX records_legacy_by_time ON records (trigger_time)
  WHERE substr(notification_id, 15, 1) <> '7';
)sql",
    // 7: the SMN stand-in's HTTP(S) subscriptions, and herald's own settings (the SMN signing
    // key), so that a restarted server pushes to the same endpoints, signed with the same key.
    R"sql(
CREATE TABLE smn_subscriptions (
  project_id TEXT NOT NULL, subscription_id TEXT NOT NULL, topic_name TEXT NOT NULL,
  protocol TEXT NOT NULL, endpoint TEXT NOT NULL, remark TEXT NOT NULL,
  confirmed INTEGER NOT NULL, signing_secret TEXT NOT NULL, confirm_token TEXT NOT NULL,
  unsubscribe_token TEXT NOT NULL,
  PRIMARY KEY (project_id, subscription_id)) WITHOUT ROWID;
CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE smn_pushes (
  sequence INTEGER PRIMARY KEY, message_id TEXT NOT NULL, project_id TEXT NOT NULL,
  topic_name TEXT NOT NULL, subscription_id TEXT NOT NULL, message TEXT NOT NULL,
  subject TEXT NOT NULL, timestamp INTEGER NOT NULL, status TEXT NOT NULL,
  attempts INTEGER NOT NULL, last_http_status INTEGER, last_error TEXT NOT NULL,
  next_attempt_time INTEGER, UNIQUE (message_id, subscription_id));
CREATE INDEX smn_pushes_by_topic ON smn_pushes (project_id, topic_name, sequence);
CREATE INDEX smn_pushes_pending ON smn_pushes (sequence) WHERE status = 'PENDING';
)sql",
};
static_assert(std::size(k_migrations) == k_store_schema_version);

Error unavailable(std::string message) { return Error{ErrorCode::unavailable, std::move(message)}; }

using stored_rows::k_record_columns;

// A prepared statement, reset after each use.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, std::string_view sql) {
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &statement_, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(Statement&& other) noexcept : statement_(std::exchange(other.statement_, nullptr)) {}
  Statement& operator=(Statement&& other) noexcept {
    std::swap(statement_, other.statement_);
    return *this;
  }

  Statement& bind(int index, std::string_view text) {
    sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int index, std::int64_t value) {
    sqlite3_bind_int64(statement_, index, value);
    return *this;
  }
  /// NULL when empty.
  Statement& bind_or_null(int index, std::string_view text) {
    if (text.empty()) {
      sqlite3_bind_null(statement_, index);
      return *this;
    }
    return bind(index, text);
  }
  /// SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(statement_); }
  void reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  /// The column's text, valid until the next step or reset.
  [[nodiscard]] std::string_view view(int column) const {
    const auto* data = sqlite3_column_text(statement_, column);
    return data == nullptr
               ? std::string_view()
               : std::string_view(
                     reinterpret_cast<const char*>(data),
                     static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
  }
  [[nodiscard]] std::string text(int column) const {
    const auto* data = sqlite3_column_text(statement_, column);
    return data == nullptr
               ? std::string()
               : std::string(reinterpret_cast<const char*>(data),
                             static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
  }
  [[nodiscard]] std::int64_t integer(int column) const {
    return sqlite3_column_int64(statement_, column);
  }
  [[nodiscard]] bool is_null(int column) const {
    return sqlite3_column_type(statement_, column) == SQLITE_NULL;
  }

 private:
  sqlite3_stmt* statement_ = nullptr;
};

// The database file's identity (device and inode), to notice it being removed or replaced.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

std::optional<FileIdentity> identity_of(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return FileIdentity{info.st_dev, info.st_ino};
}

// An exclusive lock on `{path}.lock`, held while the store is open: SQLite is for one process,
// and two engines on one file would each serve their own view and overwrite the other's writes.
// An open file description lock, so that a second open in the same process is refused too. The
// lock file is never removed (removing it would let two openers lock two different files).
class ProcessLock {
 public:
  static Result<ProcessLock> take(const std::string& path) {
    const std::string lock_path = path + ".lock";
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return unavailable(fmt::format("store {}: cannot open its lock file {}: {}", path, lock_path,
                                     std::strerror(errno)));
    }
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (::fcntl(fd, F_OFD_SETLK, &lock) != 0) {
      const int error = errno;
      char pid[32] = {};
      const auto n = ::pread(fd, pid, sizeof pid - 1, 0);
      ::close(fd);
      if (error == EAGAIN || error == EACCES) {
        const std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "";
        return unavailable(fmt::format("store {}: store in use by another process{}", path,
                                       holder.empty() ? "" : fmt::format(" (pid {})", holder)));
      }
      return unavailable(
          fmt::format("store {}: cannot lock {}: {}", path, lock_path, std::strerror(error)));
    }
    // Who holds it, for the message another opener gets.
    const std::string pid = std::to_string(::getpid());
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      // The lock holds all the same; only the pid in the message is missing.
    }
    return ProcessLock(fd);
  }

  ProcessLock(ProcessLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ProcessLock& operator=(ProcessLock&&) = delete;
  ProcessLock(const ProcessLock&) = delete;
  ProcessLock& operator=(const ProcessLock&) = delete;
  ~ProcessLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit ProcessLock(int fd) : fd_(fd) {}
  int fd_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, sqlite3* reader, sqlite3* checkpointer, std::string path,
              SqliteStoreOptions options, ProcessLock lock, FileIdentity identity)
      : lock_(std::move(lock)),
        identity_(identity),
        db_(db),
        reader_(reader),
        checkpointer_(checkpointer),
        path_(std::move(path)),
        options_(options) {
    put_event_ = Statement(db_, "INSERT OR REPLACE INTO events VALUES (?,?,?,?,?,?,?,?,?,?)");
    delete_event_ = Statement(db_, "DELETE FROM events WHERE project_id = ? AND name = ?");
    put_secret_ = Statement(db_, "INSERT OR IGNORE INTO secrets VALUES (?,?)");
    clear_subscriptions_ =
        Statement(db_, "DELETE FROM subscriptions WHERE project_id = ? AND secret_name = ?");
    put_subscription_ = Statement(db_, "INSERT INTO subscriptions VALUES (?,?,?,?)");
    delete_secret_ = Statement(db_, "DELETE FROM secrets WHERE project_id = ? AND secret_name = ?");
    delete_timers_of_secret_ =
        Statement(db_, "DELETE FROM expiry_timers WHERE project_id = ? AND secret_name = ?");
    put_timer_ = Statement(db_, "INSERT OR REPLACE INTO expiry_timers VALUES (?,?,?,?,?)");
    delete_timer_ = Statement(
        db_,
        "DELETE FROM expiry_timers WHERE project_id = ? AND secret_name = ? AND version_id = ?");
    put_record_ = Statement(
        db_,
        "INSERT INTO records (notification_id, project_id, event_name, event_id, "
        "trigger_event_type,"
        " secret_name, secret_type, version_id, trigger_time, target_type, target_id, target_name,"
        " content, status, reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,NULL,'')");
    // Bounded: a store that comes back to a long backlog prunes it over many transactions
    // instead of stalling one trigger for all of it.
    // Ids made by herald start with their trigger time in ms (UUID v7), so that the records
    // before a time are a range of the id's index: ?1 is the first id of the ms after ?3.
    prune_records_ = Statement(
        db_,
        "DELETE FROM records WHERE sequence IN (SELECT sequence FROM records WHERE "
        "notification_id < ?1 AND substr(notification_id, 15, 1) = '7' AND trigger_time <= ?3 "
        "AND status IS NOT NULL LIMIT ?2)");
    prune_legacy_records_ = Statement(
        db_,
        "DELETE FROM records WHERE sequence IN (SELECT sequence FROM records WHERE "
        "substr(notification_id, 15, 1) <> '7' AND trigger_time <= ?3 AND status IS NOT NULL "
        "LIMIT ?2)");
    finish_record_ =
        Statement(db_, "UPDATE records SET status = ?, reason = ? WHERE notification_id = ?");
    put_topic_ = Statement(db_, "INSERT OR REPLACE INTO smn_topics VALUES (?,?,?)");
    delete_topic_ = Statement(db_, "DELETE FROM smn_topics WHERE project_id = ? AND name = ?");
    delete_topic_subscriptions_ =
        Statement(db_, "DELETE FROM smn_subscriptions WHERE project_id = ? AND topic_name = ?");
    put_smn_subscription_ =
        Statement(db_, "INSERT OR REPLACE INTO smn_subscriptions VALUES (?,?,?,?,?,?,?,?,?,?)");
    delete_smn_subscription_ = Statement(
        db_, "DELETE FROM smn_subscriptions WHERE project_id = ? AND subscription_id = ?");
    put_setting_ = Statement(db_, "INSERT OR REPLACE INTO settings VALUES (?,?)");
    put_push_ = Statement(db_,
                          "INSERT OR IGNORE INTO smn_pushes (message_id, project_id, topic_name, "
                          "subscription_id, message, subject, timestamp, status, attempts, "
                          "last_http_status, last_error, next_attempt_time) "
                          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    update_push_ =
        Statement(db_,
                  "UPDATE smn_pushes SET status = ?, attempts = ?, last_http_status = ?, "
                  "last_error = ?, next_attempt_time = ? WHERE message_id = ? AND "
                  "subscription_id = ?");
    prune_pushes_ =
        Statement(db_,
                  "DELETE FROM smn_pushes WHERE sequence IN (SELECT sequence FROM smn_pushes WHERE "
                  "status <> 'PENDING' AND timestamp * 1000 <= ?1 LIMIT ?2)");
    list_pushes_ = Statement(
        reader_,
        "SELECT message_id, project_id, topic_name, subscription_id, message, subject, timestamp, "
        "status, attempts, last_http_status, last_error, next_attempt_time, sequence FROM "
        "smn_pushes WHERE project_id = ?1 AND topic_name = ?2 AND sequence < ?6 AND (?3 = '' OR "
        "status = ?3) AND (status = 'PENDING' OR timestamp * 1000 > ?4) ORDER BY sequence DESC "
        "LIMIT ?5");
    // Listing reads on its own connection: in WAL mode it never waits for the writer.
    list_records_ = Statement(
        reader_, std::string(k_record_columns) +
                     ", status, reason, sequence FROM records WHERE project_id = ?1 AND status IS"
                     " NOT NULL AND trigger_time > ?2 AND sequence < ?3 AND (?4 IS NULL OR"
                     " event_name = ?4) AND (?5 IS NULL OR secret_name = ?5) AND (?6 IS NULL OR"
                     " status = ?6) ORDER BY sequence DESC LIMIT ?7");
    find_marker_ = Statement(
        reader_, "SELECT sequence FROM records WHERE notification_id = ? AND project_id = ?");
    begin_ = Statement(db_, "BEGIN IMMEDIATE");
    commit_ = Statement(db_, "COMMIT");
    rollback_ = Statement(db_, "ROLLBACK");
    // Batched: checkpoints leave the writer, which only says when the WAL has grown
    // (maintenance_loop). Per-trigger: SQLite's own, inside the commit every 1000 pages: each
    // commit is fsynced anyway, and a concurrent checkpoint's fsync made them wait (measured:
    // 1.9k/s against 3.7k/s).
    if (options_.durability == Durability::batched) {
      sqlite3_wal_hook(db_, &SqliteStore::wal_grew, this);
    }
    maintenance_ = std::thread([this] { maintenance_loop(); });
  }
  // sqlite3_close_v2 defers the close until the statements (members, destroyed after this
  // body) are finalized.
  ~SqliteStore() override {
    {
      std::lock_guard lock(flush_mutex_);
      stopping_ = true;
    }
    maintenance_wanted_.notify_all();
    if (maintenance_.joinable()) maintenance_.join();
    if (has_finishes()) (void)flush();  // the last statuses
    sqlite3_close_v2(checkpointer_);
    sqlite3_close_v2(reader_);
    sqlite3_close_v2(db_);
  }

  Result<StoreSnapshot> load() override {
    std::lock_guard lock(mutex_);
    StoreSnapshot snapshot;
    Statement events(db_, "SELECT * FROM events ORDER BY project_id, name");
    while (events.step() == SQLITE_ROW) {
      auto event = event_of(events);
      if (!event) return std::move(event).error();
      snapshot.events.push_back({events.text(0), std::move(event).value()});
    }
    Statement secrets(db_, "SELECT project_id, secret_name FROM secrets ORDER BY 1, 2");
    Statement subscriptions(db_,
                            "SELECT event_name FROM subscriptions WHERE project_id = ? AND "
                            "secret_name = ? ORDER BY position");
    while (secrets.step() == SQLITE_ROW) {
      StoredSecret secret{secrets.text(0), secrets.text(1), {}};
      subscriptions.bind(1, secret.project_id).bind(2, secret.secret_name);
      while (subscriptions.step() == SQLITE_ROW) {
        secret.event_subscriptions.push_back(subscriptions.text(0));
      }
      subscriptions.reset();
      snapshot.secrets.push_back(std::move(secret));
    }
    // The outbox only: final records stay on disk (list_records reads them).
    Statement pending(db_, std::string(k_record_columns) +
                               " FROM records WHERE status IS NULL ORDER BY sequence");
    while (pending.step() == SQLITE_ROW) {
      auto notification = notification_of(pending);
      if (!notification) return std::move(notification).error();
      snapshot.pending.push_back(std::move(notification).value());
    }
    Statement topics(db_, "SELECT project_id, name, display_name FROM smn_topics ORDER BY 1, 2");
    while (topics.step() == SQLITE_ROW) {
      snapshot.topics.push_back(StoredTopic{topics.text(0), topics.text(1), topics.text(2)});
    }
    Statement smn(db_,
                  "SELECT project_id, topic_name, subscription_id, protocol, endpoint, remark, "
                  "confirmed, signing_secret, confirm_token, unsubscribe_token "
                  "FROM smn_subscriptions ORDER BY 1, 2, 3");
    while (smn.step() == SQLITE_ROW) {
      snapshot.subscriptions.push_back(StoredSubscription{
          smn.text(0), smn.text(1), smn.text(2), smn.text(3), smn.text(4), smn.text(5),
          smn.integer(6) != 0, smn.text(7), smn.text(8), smn.text(9)});
    }
    Statement pushes(
        db_,
        "SELECT message_id, project_id, topic_name, subscription_id, message, "
        "subject, timestamp, status, attempts, last_http_status, last_error, "
        "next_attempt_time FROM smn_pushes WHERE status = 'PENDING' ORDER BY sequence");
    while (pushes.step() == SQLITE_ROW)
      snapshot.pending_pushes.push_back(stored_rows::push_of(pushes));
    Statement settings(db_, "SELECT name, value FROM settings");
    while (settings.step() == SQLITE_ROW) snapshot.settings[settings.text(0)] = settings.text(1);
    Statement timers(db_, "SELECT * FROM expiry_timers ORDER BY 1, 2, 3");
    while (timers.step() == SQLITE_ROW) {
      const auto type = parse_secret_type(timers.text(4));
      if (!type) return damaged("an expiry timer has an unknown secret_type");
      snapshot.timers.push_back(StoredTimer{timers.text(0), timers.text(1), timers.text(2),
                                            from_epoch_ms(timers.integer(3)), *type});
    }
    return snapshot;
  }

  Result<void> put_event(std::string_view project_id, const Event& e) override {
    return write([&] {
      return run(put_event_.bind(1, project_id)
                     .bind(2, e.name)
                     .bind(3, e.event_id)
                     .bind(4, stored_rows::join_types(e.event_types))
                     .bind(5, to_string(e.state))
                     .bind(6, to_epoch_ms(e.create_time))
                     .bind(7, to_epoch_ms(e.update_time))
                     .bind(8, e.notification.target_type)
                     .bind(9, e.notification.target_id)
                     .bind(10, e.notification.target_name));
    });
  }
  Result<void> delete_event(std::string_view project_id, std::string_view name) override {
    return write([&] { return run(delete_event_.bind(1, project_id).bind(2, name)); });
  }
  Result<void> put_secret(std::string_view project_id, std::string_view secret_name,
                          std::span<const std::string> names) override {
    return write([&]() -> Result<void> {
      if (auto r = run(put_secret_.bind(1, project_id).bind(2, secret_name)); !r) return r;
      if (auto r = run(clear_subscriptions_.bind(1, project_id).bind(2, secret_name)); !r) return r;
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (auto r = run(put_subscription_.bind(1, project_id)
                             .bind(2, secret_name)
                             .bind(3, static_cast<std::int64_t>(i))
                             .bind(4, names[i]));
            !r) {
          return r;
        }
      }
      return {};
    });
  }
  Result<void> delete_secret(std::string_view project_id, std::string_view secret_name) override {
    return write([&]() -> Result<void> {
      if (auto r = run(clear_subscriptions_.bind(1, project_id).bind(2, secret_name)); !r) return r;
      if (auto r = run(delete_timers_of_secret_.bind(1, project_id).bind(2, secret_name)); !r)
        return r;
      return run(delete_secret_.bind(1, project_id).bind(2, secret_name));
    });
  }
  Result<void> put_timer(const StoredTimer& t) override {
    return write([&] {
      return run(put_timer_.bind(1, t.project_id)
                     .bind(2, t.secret_name)
                     .bind(3, t.version_id)
                     .bind(4, to_epoch_ms(t.expire_time))
                     .bind(5, to_string(t.secret_type)));
    });
  }
  Result<void> delete_timer(std::string_view project_id, std::string_view secret_name,
                            std::string_view version_id) override {
    return write([&] {
      return run(delete_timer_.bind(1, project_id).bind(2, secret_name).bind(3, version_id));
    });
  }

  Result<void> put_topic(const StoredTopic& topic) override {
    return write([&] {
      return run(
          put_topic_.bind(1, topic.project_id).bind(2, topic.name).bind(3, topic.display_name));
    });
  }
  Result<void> delete_topic(std::string_view project_id, std::string_view name) override {
    return write([&]() -> Result<void> {
      if (auto r = run(delete_topic_subscriptions_.bind(1, project_id).bind(2, name)); !r) return r;
      return run(delete_topic_.bind(1, project_id).bind(2, name));
    });
  }
  Result<void> put_subscription(const StoredSubscription& s) override {
    return write([&] {
      return run(put_smn_subscription_.bind(1, s.project_id)
                     .bind(2, s.subscription_id)
                     .bind(3, s.topic_name)
                     .bind(4, s.protocol)
                     .bind(5, s.endpoint)
                     .bind(6, s.remark)
                     .bind(7, std::int64_t{s.confirmed ? 1 : 0})
                     .bind(8, s.signing_secret)
                     .bind(9, s.confirm_token)
                     .bind(10, s.unsubscribe_token));
    });
  }
  Result<void> delete_subscription(std::string_view project_id,
                                   std::string_view subscription_id) override {
    return write(
        [&] { return run(delete_smn_subscription_.bind(1, project_id).bind(2, subscription_id)); });
  }
  Result<void> put_setting(std::string_view name, std::string_view value) override {
    return write([&] { return run(put_setting_.bind(1, name).bind(2, value)); });
  }
  Result<void> put_pushes(std::span<const StoredPush> pushes) override {
    return write([&]() -> Result<void> {
      for (const auto& p : pushes) {
        put_push_.bind(1, p.message_id)
            .bind(2, p.project_id)
            .bind(3, p.topic_name)
            .bind(4, p.subscription_id)
            .bind(5, p.message)
            .bind(6, p.subject)
            .bind(7, p.timestamp)
            .bind(8, p.status)
            .bind(9, static_cast<std::int64_t>(p.attempts));
        if (p.last_http_status) put_push_.bind(10, std::int64_t{*p.last_http_status});
        put_push_.bind(11, p.last_error);
        if (p.next_attempt_time) put_push_.bind(12, *p.next_attempt_time);
        if (auto r = run(put_push_); !r) return r;
      }
      return {};
    });
  }
  Result<void> update_push(const StoredPush& p) override {
    return write([&] {
      update_push_.bind(1, p.status).bind(2, static_cast<std::int64_t>(p.attempts));
      if (p.last_http_status) update_push_.bind(3, std::int64_t{*p.last_http_status});
      update_push_.bind(4, p.last_error);
      if (p.next_attempt_time) update_push_.bind(5, *p.next_attempt_time);
      return run(update_push_.bind(6, p.message_id).bind(7, p.subscription_id));
    });
  }
  Result<std::vector<StoredPush>> list_pushes(std::string_view project_id,
                                              std::string_view topic_name, std::string_view status,
                                              std::size_t limit, TimePoint prune_before,
                                              std::int64_t before) override {
    std::lock_guard lock(read_mutex_);
    list_pushes_.bind(1, project_id)
        .bind(2, topic_name)
        .bind(3, status)
        .bind(4, to_epoch_ms(prune_before))
        .bind(5, static_cast<std::int64_t>(limit))
        .bind(6, before);
    std::vector<StoredPush> page;
    int code = SQLITE_ROW;
    while ((code = list_pushes_.step()) == SQLITE_ROW) {
      page.push_back(stored_rows::push_of(list_pushes_));
      page.back().sequence = list_pushes_.integer(12);
    }
    list_pushes_.reset();
    if (code != SQLITE_DONE) return read_failed(code);
    return page;
  }

  // Records the notifications as pending (the outbox), in the writer's next transaction.
  Result<void> begin_deliveries(std::span<const Notification* const> notifications,
                                TimePoint prune_before) override {
    WriteJob job;
    job.notifications = notifications;
    job.prune_before = prune_before;
    return submit(job);
  }

  // A final status need not be durable at once (a lost one means the delivery is made again
  // after a crash, with the same notification_id), so stamps wait in memory and go out inside
  // the writer's next transaction: a trigger's, or the flusher's (within k_flush_delay, or at
  // once when k_max_waiting_finishes have gathered). Handing a stamp over takes only
  // finishes_mutex_: a delivery worker never waits for a transaction, and never writes.
  // With per_trigger durability the stamp is committed before the call answers.
  Result<void> finish_delivery(std::string_view notification_id, NotificationStatus status,
                               std::string_view reason) override {
    std::size_t waiting = 0;
    {
      std::lock_guard lock(finishes_mutex_);
      finishes_.push_back(Finish{std::string(notification_id), status, std::string(reason)});
      waiting = finishes_.size();
    }
    if (options_.durability == Durability::per_trigger) return flush();
    if (waiting == 1 || waiting >= k_max_waiting_finishes) {
      bool wake = false;
      {
        std::lock_guard lock(flush_mutex_);
        const bool urgent = waiting >= k_max_waiting_finishes;
        // Already asked (the flusher is waiting out its delay): no wake-up, unless urgent.
        wake = !flush_requested_ || (urgent && !flush_urgent_);
        if (!flush_requested_) flush_due_ = std::chrono::steady_clock::now() + k_flush_delay;
        flush_urgent_ = flush_urgent_ || urgent;
        flush_requested_ = true;
      }
      if (wake) maintenance_wanted_.notify_one();
    }
    return {};
  }

  Result<Page<NotificationRecord>> list_records(std::string_view project_id,
                                                const RecordQuery& query,
                                                TimePoint prune_before) override {
    if (!query.marker.empty() && !detail::is_lower_case_uuid(query.marker)) {
      return Error{ErrorCode::invalid_argument,
                   "marker: must be the next_marker of a previous page of records"};
    }
    // Statuses waiting for group commit are written first: the page sees every one stamped.
    if (has_finishes()) {
      if (auto r = flush(); !r) return r.error();
    }
    std::lock_guard lock(read_mutex_);
    Page<NotificationRecord> page;
    std::int64_t before = INT64_MAX;
    if (!query.marker.empty()) {
      page.page_info.previous_marker = query.marker;
      find_marker_.bind(1, query.marker).bind(2, project_id);
      const int found = find_marker_.step();
      if (found == SQLITE_ROW) before = find_marker_.integer(0);
      find_marker_.reset();
      if (found == SQLITE_DONE) return page;  // pruned since (or never ours): nothing after it
      if (found != SQLITE_ROW) return read_failed(found);
    }
    list_records_.bind(1, project_id)
        .bind(2, to_epoch_ms(prune_before))
        .bind(3, before)
        .bind_or_null(4, query.event_name)
        .bind_or_null(5, query.secret_name)
        .bind_or_null(6, query.status ? to_string(*query.status) : std::string_view{})
        .bind(7, static_cast<std::int64_t>(query.limit) + 1);
    int code = SQLITE_ROW;
    while ((code = list_records_.step()) == SQLITE_ROW) {
      if (page.items.size() == query.limit) {
        page.page_info.next_marker = page.items.back().notification_id;
        break;
      }
      auto notification = notification_of(list_records_);
      const auto status = parse_notification_status(list_records_.text(13));
      if (!notification || !status) {
        list_records_.reset();
        return damaged("a record has an unknown type or status");
      }
      page.items.push_back(detail::record_of(*notification, *status, list_records_.text(14)));
    }
    list_records_.reset();
    if (code != SQLITE_ROW && code != SQLITE_DONE) return read_failed(code);
    page.page_info.current_count = page.items.size();
    return page;
  }

 private:
  static Error read_failed(int code) {
    return unavailable(fmt::format("store: read failed: {}", sqlite3_errstr(code)));
  }

  Error damaged(std::string_view what) const {
    return unavailable(fmt::format("store {}: {}", path_, what));
  }

  // Runs a statement that returns no rows.
  Result<void> run(Statement& statement) {
    const int code = statement.step();
    statement.reset();
    if (code != SQLITE_DONE) {
      // No path: this message may reach a client (a write refused while serving).
      return unavailable(fmt::format("store: write failed: {}", sqlite3_errstr(code)));
    }
    return {};
  }

  // Whether the path still names the file that was opened: if it was removed or replaced,
  // what was just committed went into a file that nothing will open again.
  [[nodiscard]] Result<void> still_in_place() const {
    if (identity_of(path_) == identity_) return {};
    return unavailable(
        "store: the database file was removed or replaced while in use; nothing is written "
        "until herald is restarted on it");
  }

  struct Finish {
    std::string notification_id;
    NotificationStatus status;
    std::string reason;
  };
  static constexpr std::size_t k_max_waiting_finishes = 64;

  [[nodiscard]] bool has_finishes() {
    std::lock_guard lock(finishes_mutex_);
    return !finishes_.empty();
  }

  // Writes the waiting final statuses. Requires: mutex_ held, inside a transaction. They are
  // kept in writing_ until the transaction ends: if it rolls back, they wait again.
  Result<void> write_finishes() {
    {
      std::lock_guard lock(finishes_mutex_);
      writing_.insert(writing_.end(), std::make_move_iterator(finishes_.begin()),
                      std::make_move_iterator(finishes_.end()));
      finishes_.clear();
    }
    for (const auto& f : writing_) {
      if (auto r = run(finish_record_.bind(1, to_string(f.status))
                           .bind(2, f.reason)
                           .bind(3, f.notification_id));
          !r) {
        return r;
      }
    }
    return {};
  }

  // The end of a transaction for the stamps it took. Requires: mutex_ held.
  void settle_finishes(bool committed) {
    if (!committed && !writing_.empty()) {
      std::lock_guard lock(finishes_mutex_);
      finishes_.insert(finishes_.begin(), std::make_move_iterator(writing_.begin()),
                       std::make_move_iterator(writing_.end()));
    }
    writing_.clear();
  }

  // One unit of work for the writer: the rows of one trigger's outbox, or a change of
  // configuration (`body`), or neither (the waiting statuses are written, nothing else).
  struct WriteJob {
    std::span<const Notification* const> notifications;
    std::optional<TimePoint> prune_before;
    std::function<Result<void>()> body;
    bool done = false;
    Result<void> result;
  };

  template <typename Body>
  Result<void> write(Body body) {
    WriteJob job;
    job.body = std::move(body);
    return submit(job);
  }
  // Writes the waiting statuses (in a transaction of their own unless a trigger's is under way).
  Result<void> flush() {
    WriteJob job;
    return submit(job);
  }

  // One writer owns the connection. Whoever submits while no one writes becomes the writer: it
  // commits every job queued meanwhile in one transaction (with the waiting statuses and, when
  // due, a bounded prune), then the ones queued during that commit, while the others wait for
  // their job's result (group commit). A triggering thread is the writer while it waits for its
  // own commit anyway, so that one trigger costs no hand-over between threads; without
  // triggers, the store's flusher thread is. Nothing else touches the connection.
  Result<void> submit(WriteJob& mine) {
    group_commit_.submit(mine, [this](const std::vector<WriteJob*>& jobs) { commit_jobs(jobs); });
    return mine.result;
  }

  // Commits `jobs` in one transaction; if it fails, each job alone, so that one job's error is
  // not another's. Requires: the caller is the writer.
  void commit_jobs(const std::vector<WriteJob*>& jobs) {
    std::lock_guard lock(mutex_);
    const Result<void> together = transaction_locked([&] { return write_jobs(jobs); });
    if (together || jobs.size() == 1) {
      for (WriteJob* job : jobs) job->result = together;
      return;
    }
    for (WriteJob* job : jobs) {
      const std::vector<WriteJob*> one = {job};
      job->result = transaction_locked([&] { return write_jobs(one); });
    }
  }

  // Writes the waiting statuses, prunes when due, then each job. Requires: mutex_ held,
  // inside a transaction.
  Result<void> write_jobs(const std::vector<WriteJob*>& jobs) {
    if (auto r = write_finishes(); !r) return r;
    std::optional<TimePoint> prune_before;
    for (const WriteJob* job : jobs) {
      if (job->prune_before)
        prune_before = std::max(prune_before.value_or(TimePoint{}), *job->prune_before);
    }
    if (prune_before) {
      if (auto r = prune(*prune_before); !r) return r;
    }
    for (const WriteJob* job : jobs) {
      if (job->body) {
        if (auto r = job->body(); !r) return r;
      }
      if (auto r = write_outbox(job->notifications); !r) return r;
    }
    return {};
  }

  // Retention: drops final records at or before `prune_before`, at most k_prune_batch at a
  // time, once the pruning time has moved on by k_prune_step since the last prune (or at once
  // while a backlog remains). A prune deletes neighbouring rows, which share pages: pruning a
  // row or two in every transaction cost several page writes a row. Listing never shows a
  // record past retention, pruned yet or not. Requires: mutex_ held, inside a transaction.
  Result<void> prune(TimePoint prune_before) {
    if (!prune_backlog_ && last_prune_ && prune_before - *last_prune_ < k_prune_step) return {};
    const std::int64_t ms = to_epoch_ms(prune_before);
    // The 8-4 hex digits of the next ms: every id of a ms at or before `ms` sorts below them.
    const auto next = static_cast<std::uint64_t>(std::max<std::int64_t>(ms + 1, 0));
    const std::string first_after =
        fmt::format("{:08x}-{:04x}", next >> 16, static_cast<unsigned>(next & 0xffff));
    const auto batch = static_cast<std::int64_t>(k_prune_batch);
    if (auto r = run(prune_records_.bind(1, first_after).bind(2, batch).bind(3, ms)); !r) return r;
    const auto pruned = static_cast<std::size_t>(sqlite3_changes(db_));
    if (auto r = run(prune_legacy_records_.bind(2, batch).bind(3, ms)); !r) return r;
    const auto pruned_legacy = static_cast<std::size_t>(sqlite3_changes(db_));
    if (auto r = run(prune_pushes_.bind(1, ms).bind(2, batch)); !r) return r;
    prune_backlog_ = pruned >= k_prune_batch || pruned_legacy >= k_prune_batch;
    last_prune_ = prune_before;
    return {};
  }

  // Records `notifications` as pending (status NULL: the outbox). Requires: mutex_ held,
  // inside a transaction.
  Result<void> write_outbox(std::span<const Notification* const> notifications) {
    for (const Notification* n : notifications) {
      put_record_.bind(1, n->notification_id)
          .bind(2, n->project_id)
          .bind(3, n->event_name)
          .bind(4, n->event_id)
          .bind(5, to_string(n->trigger_event_type))
          .bind(6, n->secret_name)
          .bind(7, to_string(n->secret_type));
      if (n->version_id) put_record_.bind(8, *n->version_id);
      put_record_.bind(9, to_epoch_ms(n->trigger_time))
          .bind(10, n->target.target_type)
          .bind(11, n->target.target_id)
          .bind(12, n->target.target_name)
          .bind(13, n->message());
      if (auto r = run(put_record_); !r) return r;
    }
    return {};
  }

  // Requires: mutex_ held.
  template <typename Body>
  Result<void> transaction_locked(Body body) {
    if (auto r = still_in_place(); !r) return r;
    const auto started = std::chrono::steady_clock::now();
    struct Timed {
      Metrics* metrics;
      std::chrono::steady_clock::time_point started;
      ~Timed() {
        if (metrics != nullptr) {
          metrics->observe_commit(
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        }
      }
    } timed{options_.metrics.get(), started};
    if (auto r = run(begin_); !r) return r;
    auto result = body();
    if (!result) {
      (void)run(rollback_);
      settle_finishes(false);
      return result;
    }
    if (auto r = run(commit_); !r) {
      (void)run(rollback_);
      settle_finishes(false);
      return r;
    }
    settle_finishes(true);
    // Checked again after the commit: a file removed during the transaction is not durable.
    return still_in_place();
  }

  // The store's maintenance thread: writes waiting statuses that no trigger carried within
  // k_flush_delay (through the writer, as any write), and checkpoints the WAL on a connection
  // of its own, so that copying the WAL into the database (and its fsync) never stalls a
  // trigger: a checkpoint of 10 000 pages inside a commit cost ~30 ms.
  void maintenance_loop() {
    std::unique_lock lock(flush_mutex_);
    while (!stopping_) {
      if (checkpoint_requested_) {
        checkpoint_requested_ = false;
        lock.unlock();
        // PASSIVE: copies what no reader needs, never waits for the writer. What it cannot copy
        // yet is copied at the next request.
        (void)sqlite3_wal_checkpoint_v2(checkpointer_, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                        nullptr);
        lock.lock();
        continue;
      }
      if (flush_requested_) {
        if (!flush_urgent_ && std::chrono::steady_clock::now() < flush_due_) {
          maintenance_wanted_.wait_until(lock, flush_due_);
          continue;
        }
        flush_requested_ = flush_urgent_ = false;
        lock.unlock();
        if (has_finishes()) {
          // A refused write keeps the statuses waiting (settle_finishes); the next try carries
          // them.
          (void)flush();
        }
        lock.lock();
        if (has_finishes() && !flush_requested_) {
          flush_requested_ = true;
          flush_due_ = std::chrono::steady_clock::now() + k_flush_delay;
        }
        continue;
      }
      maintenance_wanted_.wait(lock);
    }
  }

  // sqlite3_wal_hook: after each commit, with the pages the WAL holds. Asks for a checkpoint
  // at k_checkpoint_pages; past k_max_wal_pages (the maintenance thread cannot keep up, or a
  // reader holds old pages) the writer checkpoints itself, as SQLite's own autocheckpoint
  // would, so that the WAL stays bounded.
  static int wal_grew(void* context, sqlite3* db, const char* name, int pages) {
    auto* self = static_cast<SqliteStore*>(context);
    if (pages >= k_max_wal_pages) {
      (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (pages >= k_checkpoint_pages) {
      bool wake = false;
      {
        std::lock_guard lock(self->flush_mutex_);
        wake = !self->checkpoint_requested_;
        self->checkpoint_requested_ = true;
      }
      if (wake) self->maintenance_wanted_.notify_one();
    }
    return SQLITE_OK;
  }

  Result<Event> event_of(const Statement& row) const {
    return stored_rows::event_of(row, [this](std::string_view what) { return damaged(what); });
  }
  Result<std::shared_ptr<const Notification>> notification_of(const Statement& row) const {
    return stored_rows::notification_of(row,
                                        [this](std::string_view what) { return damaged(what); });
  }

  // Declared first: released last, once the database is closed.
  ProcessLock lock_;
  const FileIdentity identity_;
  sqlite3* db_;
  sqlite3* reader_;        // read-only, for listing records; guarded by read_mutex_
  sqlite3* checkpointer_;  // the maintenance thread's, for checkpoints only
  std::mutex read_mutex_;
  Statement list_records_, find_marker_;
  const std::string path_;
  const SqliteStoreOptions options_;
  std::mutex mutex_;
  std::mutex finishes_mutex_;     // guards finishes_ only: handing a stamp over never waits
  std::vector<Finish> finishes_;  // final statuses not written yet (group commit)
  std::vector<Finish> writing_;   // taken by the transaction under way (guarded by mutex_)
  detail::GroupCommit<WriteJob> group_commit_;  // its lock is taken before mutex_
  // Pruning (guarded by mutex_).
  static constexpr auto k_prune_step = std::chrono::milliseconds(20);
  static constexpr std::size_t k_prune_batch = 1000;
  std::optional<TimePoint> last_prune_;
  bool prune_backlog_ = false;
  // The maintenance thread and what wakes it (guarded by flush_mutex_).
  static constexpr auto k_flush_delay = std::chrono::milliseconds(20);
  static constexpr int k_checkpoint_pages = 1000;
  static constexpr int k_max_wal_pages = 20'000;  // 80 MB
  std::mutex flush_mutex_;
  std::condition_variable maintenance_wanted_;
  bool flush_requested_ = false;
  bool flush_urgent_ = false;
  std::chrono::steady_clock::time_point flush_due_;
  bool checkpoint_requested_ = false;
  bool stopping_ = false;
  std::thread maintenance_;
  Statement put_event_, delete_event_, put_secret_, clear_subscriptions_, put_subscription_,
      delete_secret_, delete_timers_of_secret_, put_timer_, delete_timer_, put_record_,
      prune_records_, prune_legacy_records_, finish_record_, put_topic_, delete_topic_,
      delete_topic_subscriptions_, put_smn_subscription_, delete_smn_subscription_, put_setting_,
      put_push_, update_push_, prune_pushes_, list_pushes_, begin_, commit_, rollback_;
};

// The integer answer of a one-row query, or the SQLite error.
Result<std::int64_t> query_integer(sqlite3* db, const char* sql, const std::string& path) {
  sqlite3_stmt* statement = nullptr;
  int code = sqlite3_prepare_v2(db, sql, -1, &statement, nullptr);
  std::int64_t value = 0;
  if (code == SQLITE_OK) {
    code = sqlite3_step(statement);
    if (code == SQLITE_ROW) value = sqlite3_column_int64(statement, 0);
  }
  std::string message = sqlite3_errmsg(db);
  sqlite3_finalize(statement);
  if (code != SQLITE_ROW && code != SQLITE_OK && code != SQLITE_DONE) {
    return unavailable(
        fmt::format("store {}: not a herald database, or damaged ({})", path, message));
  }
  return value;
}

Result<void> exec(sqlite3* db, std::string_view sql, const std::string& path) {
  char* message = nullptr;
  if (sqlite3_exec(db, std::string(sql).c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    return unavailable(fmt::format("store {}: {}", path, text));
  }
  return {};
}

}  // namespace

Result<std::shared_ptr<Store>> open_sqlite_store(const std::filesystem::path& path,
                                                 SqliteStoreOptions options) {
  const std::string name = path.string();
  // The lock before anything else: a second process must not even read a file being written.
  auto lock = ProcessLock::take(name);
  if (!lock) return std::move(lock).error();
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(name.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return unavailable(fmt::format("store {}: cannot open: {}", name, message));
  }
  const auto fail = [&](Error error) -> Result<std::shared_ptr<Store>> {
    sqlite3_close_v2(db);
    return error;
  };
  sqlite3_busy_timeout(db, 5000);

  // Nothing is written before the file is known to be ours and not newer than us.
  const auto version = query_integer(db, "PRAGMA user_version", name);
  if (!version) return fail(version.error());
  const auto tables = query_integer(db, "SELECT count(*) FROM sqlite_schema", name);
  if (!tables) return fail(tables.error());
  if (*version == 0 && *tables > 0) {
    return fail(unavailable(fmt::format(
        "store {}: another program's SQLite database (no herald schema version)", name)));
  }
  if (*version > k_store_schema_version) {
    return fail(unavailable(fmt::format(
        "store {}: written by a newer herald (schema version {}; this herald reads up to {})", name,
        *version, k_store_schema_version)));
  }
  if (*tables > 0) {
    sqlite3_stmt* check = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &check, nullptr);
    const bool ok =
        check != nullptr && sqlite3_step(check) == SQLITE_ROW &&
        std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(check, 0))) == "ok";
    sqlite3_finalize(check);
    if (!ok)
      return fail(unavailable(fmt::format("store {}: damaged (PRAGMA quick_check failed)", name)));
  }

  if (*tables == 0) {
    // A new file: 2 KiB pages. A trigger's transaction writes one page of the table and of each
    // index, whole, to the WAL: measured, 2 KiB pages commit ~17 % more transactions a second
    // than 4 KiB ones. An existing file keeps the page size it was made with.
    if (auto r = exec(db, "PRAGMA page_size=2048;", name); !r) return fail(r.error());
  }
  // Checkpoints are the store's maintenance thread's (wal_grew); the WAL file is cut back to
  // 64 MB when it restarts.
  const char* pragmas =
      options.durability == Durability::per_trigger
          ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA journal_size_limit=67108864;"
          : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA journal_size_limit=67108864;";
  if (auto r = exec(db, pragmas, name); !r) {
    return fail(r.error());
  }
  for (auto v = *version; v < k_store_schema_version; ++v) {
    const auto script = fmt::format("BEGIN IMMEDIATE; {} PRAGMA user_version = {}; COMMIT;",
                                    k_migrations[v], v + 1);
    if (auto r = exec(db, script, name); !r) {
      (void)exec(db, "ROLLBACK", name);
      return fail(r.error());
    }
  }
  const auto identity = identity_of(name);
  if (!identity) {
    return fail(unavailable(fmt::format("store {}: cannot stat: {}", name, std::strerror(errno))));
  }
  sqlite3* reader = nullptr;
  if (sqlite3_open_v2(name.c_str(), &reader, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string message = reader != nullptr ? sqlite3_errmsg(reader) : "out of memory";
    sqlite3_close_v2(reader);
    return fail(unavailable(fmt::format("store {}: cannot open for reading: {}", name, message)));
  }
  sqlite3_busy_timeout(reader, 5000);
  sqlite3* checkpointer = nullptr;
  if (sqlite3_open_v2(name.c_str(), &checkpointer, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string message = checkpointer != nullptr ? sqlite3_errmsg(checkpointer) : "out of memory";
    sqlite3_close_v2(checkpointer);
    sqlite3_close_v2(reader);
    return fail(unavailable(fmt::format("store {}: cannot open: {}", name, message)));
  }
  // Same synchronous level as the writer: a checkpoint's fsync is what makes the WAL's content
  // durable in the database file.
  (void)exec(checkpointer,
             options.durability == Durability::per_trigger ? "PRAGMA synchronous=FULL;"
                                                           : "PRAGMA synchronous=NORMAL;",
             name);
  try {
    return std::shared_ptr<Store>(std::make_shared<SqliteStore>(
        db, reader, checkpointer, name, options, std::move(lock).value(), *identity));
  } catch (const std::exception& error) {
    sqlite3_close_v2(checkpointer);
    sqlite3_close_v2(reader);
    return fail(unavailable(fmt::format("store {}: {}", name, error.what())));
  }
}

}  // namespace herald
