// herald::Engine: the public facade. It holds the events of every project, the secrets'
// subscriptions to them, and enforces every rule of the CSMS "secret events" contract
// (docs/registry.md; the contract is spec/csms-events.md). When the host triggers a lifecycle
// event, it delivers a message for every enabled event that matches through the sinks connected
// for the event's target type, and records each delivery (docs/dispatch.md, docs/sinks.md,
// docs/records.md).
//
// Thread-safety: safe for concurrent use; every member may be called from any thread at any
// time, also from inside a sink. Reads and triggers run in parallel with each other; writes are
// serialised. No herald lock is held while a sink runs.
// Projects: every call names a project (1–64 chars of letters, digits, `_`, `-`). Nothing of one
// project is visible to, or changed by, a call naming another.
// Lifetime: one owner; the Engine must outlive every call into it.
//
// Errors: each call returns a Result. The checks run in the contract's order: validation of the
// arguments (invalid_argument, CSMS.0002, naming the field), then existence (not_found,
// CSMS.0005), then conflicts and quotas (already_exists, in_use, quota_exceeded). A call that
// fails changes nothing.
#pragma once

#include "herald/export.hpp"

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "herald/clock.hpp"
#include "herald/error.hpp"
#include "herald/event.hpp"
#include "herald/lifecycle.hpp"
#include "herald/options.hpp"
#include "herald/page.hpp"
#include "herald/record.hpp"
#include "herald/secret.hpp"
#include "herald/sink.hpp"

namespace herald {

class Store;

class HERALD_EXPORT Engine {
 public:
  /// An engine with `options`, reading time from `clock` (the system clock by default).
  /// Requires: clock is not null.
  explicit Engine(Options options = {}, std::shared_ptr<Clock> clock = system_clock());
  ~Engine();

  /// An engine whose configuration (events, subscriptions, expiry timers) lives in `store`:
  /// what the store holds is restored now, and every change is written through before it is
  /// answered; a change the store refuses is undone and answers the store's error (unavailable).
  /// Timers that came due while no engine ran fire at the next run_due(). Quotas are not applied
  /// to what was stored. Requires: store is not null.
  /// Errors: unavailable, when the store cannot be read or holds something the contract forbids.
  static Result<std::unique_ptr<Engine>> open(std::shared_ptr<Store> store, Options options = {},
                                              std::shared_ptr<Clock> clock = system_clock());

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  [[nodiscard]] const Options& options() const noexcept;

  // ---- events (CreateSecretEvent, ShowSecretEvent, ListSecretEvents, UpdateSecretEvent,
  //      DeleteSecretEvent) ----

  /// Creates an event with a new UUID v4 `event_id`; create_time = update_time = clock now.
  /// Errors: invalid_argument (a field of `spec` or the project id), already_exists (the name is
  /// taken in the project), quota_exceeded (the project holds max_events_per_project events).
  Result<Event> create_event(std::string_view project_id, const EventSpec& spec);

  /// The event named `name`. Errors: invalid_argument, not_found.
  [[nodiscard]] Result<Event> show_event(std::string_view project_id, std::string_view name) const;

  /// The project's events ordered by name, one page. `query.marker`, when set, must be a
  /// well-formed event name. Errors: invalid_argument (limit outside 1..1000, bad marker).
  [[nodiscard]] Result<Page<Event>> list_events(std::string_view project_id,
                                                const PageQuery& query) const;

  /// Changes the fields `patch` sets, and update_time to clock now. Errors: invalid_argument,
  /// not_found.
  Result<Event> update_event(std::string_view project_id, std::string_view name,
                             const EventPatch& patch);

  /// Deletes the event. Errors: invalid_argument, not_found, in_use (secrets subscribe to it;
  /// the message says how many).
  Result<void> delete_event(std::string_view project_id, std::string_view name);

  // ---- secret subscriptions (`event_subscriptions` of CreateSecret / UpdateSecret) ----

  /// Replaces the secret's subscriptions with `event_names` (empty clears them). The secret is
  /// known to herald from then on. Errors: invalid_argument (bad secret or event name, a name
  /// twice), not_found (an event that does not exist), quota_exceeded (more than
  /// max_events_per_secret names, or a new secret beyond max_secrets_per_project).
  Result<Secret> set_subscriptions(std::string_view project_id, std::string_view secret_name,
                                   std::span<const std::string> event_names);

  /// Forgets the secret, as a SECRET_DELETED dispatch does: its subscriptions and its armed
  /// expiry timers are gone, and it is no longer known. Errors: invalid_argument, not_found
  /// (herald does not know it), unavailable (the store refused: nothing changed).
  Result<void> forget_secret(std::string_view project_id, std::string_view secret_name);

  /// The secret's subscriptions. Errors: invalid_argument, not_found (herald does not know it).
  [[nodiscard]] Result<Secret> show_secret(std::string_view project_id,
                                           std::string_view secret_name) const;

  /// The secrets herald knows in the project, ordered by name, one page; with a non-empty
  /// `event_name`, only the secrets that subscribe to that event. `query.marker`, when set, must
  /// be a well-formed secret name. Errors: invalid_argument, not_found (no such event).
  [[nodiscard]] Result<Page<Secret>> list_secrets(std::string_view project_id,
                                                  std::string_view event_name,
                                                  const PageQuery& query) const;

  // ---- dispatch ----

  /// Connects `sink` for notifications whose event targets `target_type` (e.g. "SMN"). The
  /// rules of sink.hpp hold: a dispatch already running does not call it; after the
  /// connection's disconnect() returns it is never called again.
  Connection connect_sink(std::string_view target_type, SinkFunction sink);

  /// Dispatches one lifecycle event at clock now: for every enabled event that the secret
  /// subscribes to and that lists `event.type`, one message (notification_id a new UUID) is
  /// handed to the sinks of the event's target type, and one record is written with the
  /// combined status. After a SECRET_DELETED dispatch the secret's subscriptions and expiry
  /// timers are gone. Answers one entry per match (none for a secret herald does not know).
  /// With a store, the records and deliveries are written (one transaction) before any sink
  /// runs; when trigger answers, they are durable. With asynchronous delivery the report's
  /// statuses are PENDING and workers deliver (with retries) afterwards; a full queue waits up
  /// to Options::enqueue_timeout, then answers unavailable (nothing is queued or written).
  /// Errors: invalid_argument (project id, secret name, version id, an out-of-range enum);
  /// unavailable (the store refused: nothing was delivered).
  Result<TriggerReport> trigger(std::string_view project_id, const LifecycleEvent& event);

  // ---- version expiry (SECRET_VERSION_EXPIRED) ----

  /// Arms the version's SECRET_VERSION_EXPIRED timer for `expire_time`, replacing an armed one
  /// (a new value re-arms: the event fires once per value); nullopt cancels it. Arming makes the
  /// secret known. `secret_type` is carried into the messages.
  /// Errors: invalid_argument (names, or expire_time not after clock now: "expire_time");
  /// quota_exceeded (a new secret beyond max_secrets_per_project, or a new version's timer
  /// beyond max_expiry_timers_per_secret).
  Result<VersionExpiry> set_version_expiry(std::string_view project_id,
                                           std::string_view secret_name,
                                           std::string_view version_id,
                                           std::optional<TimePoint> expire_time,
                                           SecretType secret_type = SecretType::common);

  /// The version's armed expiry (expire_time nullopt when none). Errors: invalid_argument.
  [[nodiscard]] Result<VersionExpiry> show_version_expiry(std::string_view project_id,
                                                          std::string_view secret_name,
                                                          std::string_view version_id) const;

  /// Delivers what a crash left in the store's outbox (engines made by open() only), each with
  /// its original notification_id so that receivers can drop duplicates, stamps the final
  /// statuses and answers how many. Call it once the sinks are connected.
  std::size_t deliver_pending();

  /// Fires every timer due at clock now (each once, earliest first) and answers how many
  /// fired. Called by the host, or by an ExpiryScheduler.
  std::size_t run_due();

  // ---- records (ListNotificationRecords) ----

  /// The project's records, newest first, filtered. Records older than the retention are gone.
  /// Errors: invalid_argument (limit outside 1..1000, a malformed filter or marker).
  [[nodiscard]] Result<Page<NotificationRecord>> list_records(std::string_view project_id,
                                                              const RecordQuery& query) const;

  /// Store writes that failed where no caller could be told, since the engine started: a final
  /// status (the delivery stays in the outbox and is made again after a restart, with the same
  /// notification_id), the forgetting of a deleted secret (it stays known), the removal of a
  /// fired timer (it stays armed and is tried again). Each is also reported to Options::log.
  [[nodiscard]] std::uint64_t store_write_failures() const noexcept;

  /// Whether the store can be written now (readiness): a probe write (the setting
  /// "herald.ready_probe") decides, made at most once a second by the engine's clock so that
  /// frequent callers cost nothing; between probes the last answer stands. Without a store:
  /// always. Errors: unavailable, with the store's message.
  [[nodiscard]] Result<void> check_store_writable();

  /// Asynchronous delivery without workers (Options::delivery_workers = 0): attempts every
  /// delivery due at clock now on the calling thread, retries included; answers how many
  /// attempts were made. With workers, or synchronous delivery, there is nothing to do: 0.
  std::size_t run_deliveries();

 private:
  void forget_if_deleted(std::string_view project_id, const LifecycleEvent& event);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald
