// Sinks: where notifications go. A sink is a callable connected to an Engine for one
// `target_type` ("SMN", "WEBHOOK", …); every notification whose event targets that type is
// handed to every sink connected for it, and the sinks' outcomes combine into the record's status.
//
// Rules (docs/sinks.md; each one is tested):
// - A sink connected during a dispatch is not called by that dispatch (a later trigger calls it).
// - Once `Connection::disconnect()` returns, the sink is never called again, also when the
//   dispatch runs on another thread: disconnect() waits for calls of the sink in flight on other
//   threads to return. (Called from inside the sink itself, it does not wait for its own call.)
// - A sink may call back into the Engine (create, update, subscribe, connect, trigger): herald
//   holds none of its locks while a sink runs.
// - A sink that throws gives FAIL for its delivery, with the exception's message as the reason;
//   the other sinks of the dispatch still run.
// - Combining: no sink called → INVALID ("no sink serves target_type X"); else any sink that
//   answered invalid_target → INVALID; else any failed → FAIL; else any unavailable → FAIL,
//   marked unavailable (asynchronous delivery waits for the target); else SUCCESS.
//
// Threading: a sink may be called from several threads at once (concurrent triggers) and must be
// safe for that. Lifetime: the Engine keeps the callable (and what it captures) until the sink
// is disconnected or the Engine is destroyed.
#pragma once

#include "herald/export.hpp"

#include <functional>
#include <memory>
#include <string>

#include "herald/notification.hpp"

namespace herald {

enum class SinkStatus {
  delivered,       ///< the message was taken
  failed,          ///< the sink tried and failed (→ FAIL)
  invalid_target,  ///< the target id is malformed for this sink (→ INVALID)
  /// The target cannot be reached now (a broker down): asynchronous delivery keeps the delivery
  /// pending and tries again at the retry schedule's cap, without counting it as an attempt, so
  /// that an outage drops nothing; synchronous delivery answers FAIL.
  unavailable,
};

/// What a sink answers for one notification.
struct HERALD_EXPORT SinkOutcome {
  SinkStatus status = SinkStatus::delivered;
  std::string reason;  ///< why, when not delivered; never a secret value

  static SinkOutcome delivered() { return {}; }
  static SinkOutcome failed(std::string why) { return {SinkStatus::failed, std::move(why)}; }
  static SinkOutcome invalid_target(std::string why) {
    return {SinkStatus::invalid_target, std::move(why)};
  }
  static SinkOutcome unavailable(std::string why) {
    return {SinkStatus::unavailable, std::move(why)};
  }
};

/// A sink: called once per notification of its target type.
using SinkFunction = std::function<SinkOutcome(const Notification&)>;

/// A sink that calls `callback` and answers delivered (or FAIL, when the callback throws).
[[nodiscard]] HERALD_EXPORT SinkFunction
callback_sink(std::function<void(const Notification&)> callback);

namespace detail {
struct SinkSlot;
}

/// The link between an Engine and one connected sink. Copies refer to the same link.
/// Safe for concurrent use.
class HERALD_EXPORT Connection {
 public:
  Connection() = default;
  explicit Connection(std::shared_ptr<detail::SinkSlot> slot);

  /// Stops calls to the sink; when it returns, the sink is never called again (see above).
  /// Idempotent.
  void disconnect() const;
  /// Whether the sink is still connected.
  [[nodiscard]] bool connected() const;

 private:
  std::shared_ptr<detail::SinkSlot> slot_;
};

/// A Connection that disconnects when it goes out of scope. Move-only.
class HERALD_EXPORT ScopedConnection {
 public:
  ScopedConnection() = default;
  ScopedConnection(Connection connection) : connection_(std::move(connection)) {}  // NOLINT
  ~ScopedConnection() { connection_.disconnect(); }
  ScopedConnection(ScopedConnection&& other) noexcept : connection_(std::move(other.connection_)) {
    other.connection_ = Connection{};
  }
  ScopedConnection& operator=(ScopedConnection&& other) noexcept {
    if (this != &other) {
      connection_.disconnect();
      connection_ = std::move(other.connection_);
      other.connection_ = Connection{};
    }
    return *this;
  }
  ScopedConnection(const ScopedConnection&) = delete;
  ScopedConnection& operator=(const ScopedConnection&) = delete;

  [[nodiscard]] const Connection& connection() const noexcept { return connection_; }
  /// Gives up ownership: the sink stays connected.
  Connection release() {
    Connection released = std::move(connection_);
    connection_ = Connection{};
    return released;
  }

 private:
  Connection connection_;
};

}  // namespace herald
