// herald::Store: where an Engine keeps its configuration so that a restart finds it again —
// events, secrets' subscriptions and armed expiry timers. Two implementations: in memory (for
// tests and for hosts that keep state elsewhere) and SQLite (the embedded default on disk).
//
// An Engine writes through to its store inside each change, before the change is visible; a
// change the store refuses is undone and answered with the store's error, so memory and store
// never disagree. A trigger writes its records (pending) and their deliveries (the outbox) in one
// transaction before any sink is called, and stamps each final status after; what a crash left
// in the outbox is delivered again, with the same notification_id, by Engine::deliver_pending().
// See docs/durability.md.
//
// Thread-safety: implementations are safe for concurrent use; an Engine calls them under its
// own write lock.
#pragma once

#include "herald/export.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/clock.hpp"
#include "herald/error.hpp"
#include "herald/event.hpp"
#include "herald/notification.hpp"
#include "herald/page.hpp"
#include "herald/record.hpp"
#include "herald/secret.hpp"

namespace herald {

class Metrics;

struct HERALD_EXPORT StoredEvent {
  std::string project_id;
  Event event;
};

struct HERALD_EXPORT StoredSecret {
  std::string project_id;
  std::string secret_name;
  std::vector<std::string> event_subscriptions;  ///< in the order they were set
};

struct HERALD_EXPORT StoredTimer {
  std::string project_id;
  std::string secret_name;
  std::string version_id;
  TimePoint expire_time;
  SecretType secret_type = SecretType::common;
};

/// An SMN stand-in topic (its URN is made from the region of the SmnTopics that loads it).
struct HERALD_EXPORT StoredTopic {
  std::string project_id;
  std::string name;
  std::string display_name;
};

/// An SMN stand-in subscription: a topic's HTTP(S) endpoint (contract §5). Its URN is made
/// from the topic's and `subscription_id` (32 lower-case hex digits).
struct HERALD_EXPORT StoredSubscription {
  std::string project_id;
  std::string topic_name;
  std::string subscription_id;
  std::string protocol;  ///< "http" or "https"
  std::string endpoint;
  std::string remark;
  bool confirmed = false;
  std::string signing_secret;     ///< "whsec_…", for Standard Webhooks signatures
  std::string confirm_token;      ///< what subscribe_url carries
  std::string unsubscribe_token;  ///< what unsubscribe_url carries
};

/// One SMN push: a message published to a topic, for one of its subscriptions (contract §5),
/// durable from publish to its final status, so that a crash loses none.
struct HERALD_EXPORT StoredPush {
  std::string message_id;  ///< the notification_id
  std::string project_id;
  std::string topic_name;
  std::string subscription_id;
  std::string message;             ///< the herald message
  std::string subject;             ///< the event name
  std::int64_t timestamp = 0;      ///< the first publish time, epoch seconds
  std::string status = "PENDING";  ///< PENDING, DELIVERED or FAILED
  std::size_t attempts = 0;
  std::optional<int> last_http_status;
  std::string last_error;
  std::optional<std::int64_t> next_attempt_time;  ///< epoch ms
  std::int64_t sequence = 0;  ///< set by the store (list_pushes): the log's order, newest highest
};

/// A project's change number in a shared store.
struct HERALD_EXPORT ProjectChangeNumber {
  std::string project_id;
  std::uint64_t change = 0;
};

/// Everything a store holds, as an Engine loads it at start.
struct HERALD_EXPORT StoreSnapshot {
  std::vector<StoredEvent> events;
  std::vector<StoredSecret> secrets;
  std::vector<StoredTimer> timers;
  std::vector<StoredTopic> topics;
  std::vector<StoredSubscription> subscriptions;
  /// herald's own settings by name (e.g. "smn.signing_key": the SMN signing key, PEM).
  std::map<std::string, std::string> settings;
  /// SMN pushes not yet final, oldest first.
  std::vector<StoredPush> pending_pushes;
  /// The deliveries still in the outbox (pending), oldest first. Final records are not loaded:
  /// list_records reads them from the store. A shared store answers its own process's, and
  /// those of processes that ended (claimed for this one).
  std::vector<std::shared_ptr<const Notification>> pending;
  /// Shared stores: each project's change number, as of this snapshot.
  std::vector<ProjectChangeNumber> changes;
};

/// One project's configuration as a store holds it, with its change number (shared stores).
struct HERALD_EXPORT ProjectState {
  std::string project_id;
  std::uint64_t change = 0;  ///< 0: nothing was ever stored in the project
  std::vector<Event> events;
  std::vector<StoredSecret> secrets;
  std::vector<StoredTimer> timers;
  std::vector<StoredTopic> topics;  ///< the SMN stand-in's
  std::vector<StoredSubscription> subscriptions;
};

/// One change of a project's configuration in a store that several processes share, begun by
/// Store::begin_change: the project is locked in the database until commit() or destruction
/// (which rolls back), so that the rules are decided on the state the database holds. The
/// store's writes made on the same thread meanwhile belong to it.
class HERALD_EXPORT ProjectChange {
 public:
  virtual ~ProjectChange() = default;
  /// The project's change number when the change began.
  [[nodiscard]] virtual std::uint64_t change() const = 0;
  /// The project's configuration as the database holds it now.
  virtual Result<ProjectState> load() = 0;
  /// Commits, with the project's new change number (answered), and tells the other processes.
  virtual Result<std::uint64_t> commit() = 0;
};

class HERALD_EXPORT Store {
 public:
  virtual ~Store() = default;

  // -- Several processes on one store (contract §8). A store for one process keeps the
  // defaults: shared() false, and the others are never called.

  /// Whether other processes write to this store too.
  [[nodiscard]] virtual bool shared() const { return false; }
  /// Shared stores: begins a change of the project (see ProjectChange).
  virtual Result<std::unique_ptr<ProjectChange>> begin_change(std::string_view project_id);
  /// Shared stores: waits up to `timeout` for another process's change, then answers the
  /// change numbers of the projects that may have moved: the ones notified, or every project
  /// after a timeout (so that a lost notification costs one timeout).
  virtual Result<std::vector<ProjectChangeNumber>> wait_for_changes(
      std::chrono::milliseconds timeout);
  /// Shared stores: one project's configuration (outside any change).
  virtual Result<ProjectState> load_project(std::string_view project_id);
  /// What claim_timer found.
  enum class TimerClaim {
    fire,     ///< this call removed the timer: the caller fires it, no other process does
    gone,     ///< another process fired or removed it
    not_due,  ///< not due yet by the store's clock: it stays
  };
  /// Removes the version's timer if it is due by the store's clock. Default: removes it and
  /// answers fire.
  virtual Result<TimerClaim> claim_timer(const StoredTimer& timer);
  /// Shared stores: claims for this process up to `limit` deliveries of the outbox whose
  /// process ended (its lease ran out), oldest first. Default: none.
  virtual Result<std::vector<std::shared_ptr<const Notification>>> claim_orphans(std::size_t limit);
  /// Stores the setting unless one of that name is stored already, and answers the value the
  /// store holds then: racing processes agree on the first one. Default (one process): stores
  /// it and answers it.
  virtual Result<std::string> put_setting_if_absent(std::string_view name, std::string_view value);
  /// Shared stores: the SMN stand-in's topics and subscriptions (the snapshot's other fields
  /// are left empty), for following the other processes' changes.
  virtual Result<StoreSnapshot> load_topics();
  /// Shared stores: claims for this process up to `limit` pending SMN pushes whose process
  /// ended, oldest first. Default: none.
  virtual Result<std::vector<StoredPush>> claim_orphan_pushes(std::size_t limit);

  /// Everything stored. Errors: unavailable (the store cannot be read, or holds a value that
  /// breaks the contract; the message names it).
  virtual Result<StoreSnapshot> load() = 0;

  /// Creates or replaces the event `event.name` of the project.
  virtual Result<void> put_event(std::string_view project_id, const Event& event) = 0;
  virtual Result<void> delete_event(std::string_view project_id, std::string_view name) = 0;
  /// Creates or replaces the secret's subscriptions (an empty list keeps the secret known).
  virtual Result<void> put_secret(std::string_view project_id, std::string_view secret_name,
                                  std::span<const std::string> event_subscriptions) = 0;
  /// Forgets the secret: its subscriptions and its timers.
  virtual Result<void> delete_secret(std::string_view project_id, std::string_view secret_name) = 0;
  /// Creates or replaces the version's timer.
  virtual Result<void> put_timer(const StoredTimer& timer) = 0;
  virtual Result<void> delete_timer(std::string_view project_id, std::string_view secret_name,
                                    std::string_view version_id) = 0;

  /// Creates or replaces an SMN stand-in topic; deletes one, and its subscriptions.
  virtual Result<void> put_topic(const StoredTopic& topic) = 0;
  virtual Result<void> delete_topic(std::string_view project_id, std::string_view name) = 0;
  /// Creates or replaces an SMN subscription (by project and subscription_id); deletes one.
  virtual Result<void> put_subscription(const StoredSubscription& subscription) = 0;
  virtual Result<void> delete_subscription(std::string_view project_id,
                                           std::string_view subscription_id) = 0;
  /// Creates or replaces one of herald's settings.
  virtual Result<void> put_setting(std::string_view name, std::string_view value) = 0;
  /// Records new pushes, pending; a push already stored (same message and subscription, as a
  /// delivery made again after a crash publishes it) is left as it is.
  virtual Result<void> put_pushes(std::span<const StoredPush> pushes) = 0;
  /// Stores a push's status, attempts, last_http_status, last_error and next_attempt_time, by
  /// message and subscription (its other fields are not read).
  virtual Result<void> update_push(const StoredPush& push) = 0;
  /// A topic's pushes whose sequence is below `before`, newest first, at most `limit`, only
  /// `status` when not empty: the delivery log. Final pushes are dropped with the records'
  /// retention (`prune_before`).
  virtual Result<std::vector<StoredPush>> list_pushes(std::string_view project_id,
                                                      std::string_view topic_name,
                                                      std::string_view status, std::size_t limit,
                                                      TimePoint prune_before,
                                                      std::int64_t before = INT64_MAX) = 0;

  /// In one transaction: records the notifications as pending, puts their deliveries in the
  /// outbox, and drops final records whose trigger_time is at or before `prune_before`.
  virtual Result<void> begin_deliveries(std::span<const Notification* const> notifications,
                                        TimePoint prune_before) = 0;
  /// Stamps the delivery's final status and reason, which takes it out of the outbox (with
  /// batched durability, in the next transaction).
  virtual Result<void> finish_delivery(std::string_view notification_id, NotificationStatus status,
                                       std::string_view reason) = 0;

  /// One page of the project's final records (SUCCESS, FAIL, INVALID), newest first, after the
  /// query's filters; a record whose trigger_time is at or before `prune_before` is not listed.
  /// Every final status stamped before the call is seen. `next_marker` is opaque.
  /// Requires: the query was validated, except for the marker's form. Errors: invalid_argument
  /// (a marker this store did not hand out), unavailable (the store cannot be read).
  virtual Result<Page<NotificationRecord>> list_records(std::string_view project_id,
                                                        const RecordQuery& query,
                                                        TimePoint prune_before) = 0;
};

struct HERALD_EXPORT MemoryStoreOptions {
  /// Final records kept, in all projects; beyond it the oldest are dropped first. Default:
  /// 100 000, as Options::max_records_in_memory.
  std::size_t max_records = 100'000;
};

/// A store in memory: what it holds lives as long as the returned object. Its outbox holds
/// every pending delivery (bounded by what the engine lets wait: Options::max_queued_deliveries
/// with asynchronous delivery).
[[nodiscard]] HERALD_EXPORT std::shared_ptr<Store> memory_store(MemoryStoreOptions options = {});

/// What a SQLite store trades between speed and what survives a power loss (docs/durability.md).
enum class Durability {
  /// WAL with synchronous=NORMAL, and final statuses written in the next trigger's transaction
  /// (group commit): one transaction per trigger, no fsync on commit. A process kill loses
  /// nothing acknowledged; a power loss may lose the last transactions before a checkpoint.
  /// After a crash, deliveries whose status was still waiting are made again (same id).
  batched,
  /// WAL with synchronous=FULL, final statuses written at once: every commit is on disk before
  /// the call answers, even across a power loss; two fsyncs per trigger.
  per_trigger,
};

struct HERALD_EXPORT SqliteStoreOptions {
  /// Default: batched, the fast choice that loses nothing acknowledged to a process crash.
  Durability durability = Durability::batched;
  /// Where the store counts its transactions' durations (herald_store_commit_seconds). Default:
  /// none.
  std::shared_ptr<Metrics> metrics;
};

/// Opens (creating if missing) the SQLite database at `path`: WAL mode, prepared statements, a
/// schema version in `PRAGMA user_version`, migrated forward when older.
/// Errors (the file is left untouched in each): unavailable when the file cannot be opened, is
/// not a SQLite database, is damaged (`PRAGMA quick_check` fails), is another program's database,
/// or was written by a newer herald (its schema version is above the one this herald reads).
[[nodiscard]] HERALD_EXPORT Result<std::shared_ptr<Store>> open_sqlite_store(
    const std::filesystem::path& path, SqliteStoreOptions options = {});

/// The schema version this herald writes and reads up to (1: configuration; 2: records and the
/// outbox; 3: SMN stand-in topics; 4: the outbox folded into the records; 5: indexes that list
/// a project's records newest first and find the outbox without a scan; 6: retention prunes
/// through the notification ids, UUID v7 ordered by time, instead of a time index; 7: SMN
/// subscriptions and herald's settings).
inline constexpr int k_store_schema_version = 7;

struct HERALD_EXPORT PostgresStoreOptions {
  /// Where the store counts its transactions' durations (herald_store_commit_seconds). Default:
  /// none.
  std::shared_ptr<Metrics> metrics;
  /// How long this process's claim on its deliveries, pushes and timers lasts without being
  /// renewed (it is renewed every third of it): once it has run out, the other processes take
  /// them over. Default: 10 s; at least k_min_store_lease (a shorter one would have the
  /// processes take each other's work over at every hiccup).
  std::chrono::milliseconds lease{10'000};
  /// How long a connection attempt waits (libpq's connect_timeout; the conninfo's own value
  /// wins). Default: 10 s.
  std::chrono::seconds connect_timeout{10};
};

/// The shortest PostgresStoreOptions::lease open_postgres_store accepts.
inline constexpr std::chrono::milliseconds k_min_store_lease{100};

/// Whether `store` names a PostgreSQL database: a libpq URI (`postgresql://` or `postgres://`)
/// or a keyword/value conninfo that libpq reads (`host=/run/pg dbname=herald`).
[[nodiscard]] HERALD_EXPORT bool is_postgres_conninfo(std::string_view store);

/// Opens the PostgreSQL database `conninfo` names (libpq's URI or keyword/value form; libpq's
/// environment variables and ~/.pgpass are honoured, so a password need not appear in it).
/// Creates herald's tables (all named herald_*) when missing and migrates older ones, under an
/// advisory lock, so that several processes may open one database at once. Writes are
/// transactions, retried after a serialization failure or a deadlock, and on a new connection
/// for up to 5 s after a lost one. Messages name the database and host, never the conninfo.
/// Errors (nothing is written in each): invalid_argument when options.lease is below
/// k_min_store_lease; unavailable when the connection string is malformed,
/// the database cannot be reached, holds herald tables without a schema version, or was written
/// by a newer herald.
[[nodiscard]] HERALD_EXPORT Result<std::shared_ptr<Store>> open_postgres_store(
    std::string_view conninfo, PostgresStoreOptions options = {});

/// The PostgreSQL schema version this herald writes and reads up to (1: everything the SQLite
/// store's version 7 holds).
inline constexpr int k_postgres_schema_version = 1;

}  // namespace herald
