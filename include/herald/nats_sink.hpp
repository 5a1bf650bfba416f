// herald::nats_sink: notifications whose target_type is "NATS" published to NATS JetStream
// (contract §6), on the NATS C client.
//
// - target_id is the subject: 1–256 chars, tokens of letters, digits, `_`, `-` joined by `.`,
//   no wildcards; anything else → invalid_target (INVALID).
// - Each notification is published with header `Nats-Msg-Id: {notification_id}` (JetStream
//   drops a duplicate inside the stream's duplicate window, 2 minutes by default) and
//   `Herald-Event-Type: {type}`; the body is the herald message.
// - delivered (SUCCESS) once a stream acknowledged it (PubAck, waited for at most
//   `ack_timeout`); no stream bound to the subject → failed (FAIL after the retries); the broker
//   unreachable → unavailable: an asynchronous delivery stays pending and is tried again at the
//   retry schedule's cap until the broker is back.
//
// Thread-safety: the sink may be called from several threads at once (one connection).
#pragma once

#include "herald/export.hpp"

#include <chrono>
#include <functional>
#include <string>

#include "herald/error.hpp"
#include "herald/sink.hpp"

namespace herald {

struct HERALD_EXPORT NatsSinkOptions {
  /// The broker, e.g. "nats://127.0.0.1:4222".
  std::string url = "nats://127.0.0.1:4222";
  /// How long a publish waits for the stream's PubAck. Default: 5 s.
  std::chrono::milliseconds ack_timeout{5000};
};

/// A sink for target_type "NATS". The connection is made now and kept (re-made after an outage
/// for as long as the sink lives); a broker that is down now is not an error (deliveries wait).
/// Errors: invalid_argument when the URL is not a NATS URL.
[[nodiscard]] HERALD_EXPORT Result<SinkFunction> nats_sink(NatsSinkOptions options = {});

/// A NATS sink and a way to ask, at any time from any thread, whether its broker is connected
/// now (e.g. for a readiness probe).
struct HERALD_EXPORT NatsSink {
  SinkFunction sink;
  std::function<bool()> connected;
};

/// As nats_sink(), with the connection's state. Errors: as nats_sink().
[[nodiscard]] HERALD_EXPORT Result<NatsSink> open_nats_sink(NatsSinkOptions options = {});

/// Whether `subject` is a NATS subject herald publishes to (see above).
[[nodiscard]] HERALD_EXPORT bool is_nats_subject(std::string_view subject) noexcept;

}  // namespace herald
