// The NATS JetStream sink, on libnats (Debian's libnats-dev).
#include "herald/nats_sink.hpp"

#include <fmt/format.h>
#include <nats/nats.h>

#include <memory>

#include "herald/notification.hpp"

namespace herald {

bool is_nats_subject(std::string_view subject) noexcept {
  if (subject.empty() || subject.size() > 256) return false;
  std::size_t token = 0;
  for (const char c : subject) {
    if (c == '.') {
      if (token == 0) return false;
      token = 0;
      continue;
    }
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!allowed) return false;
    ++token;
  }
  return token > 0;
}

namespace {

struct Broker {
  natsConnection* connection = nullptr;
  jsCtx* js = nullptr;
  std::chrono::milliseconds ack_timeout;

  ~Broker() {
    jsCtx_Destroy(js);
    natsConnection_Destroy(connection);
  }
};

}  // namespace

Result<SinkFunction> nats_sink(NatsSinkOptions options) {
  auto opened = open_nats_sink(std::move(options));
  if (!opened) return std::move(opened).error();
  return std::move(opened->sink);
}

Result<NatsSink> open_nats_sink(NatsSinkOptions options) {
  if (!options.url.starts_with("nats://") && !options.url.starts_with("tls://")) {
    return Error{ErrorCode::invalid_argument,
                 "nats url: must be nats://HOST:PORT or tls://HOST:PORT"};
  }
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) {
    return Error{ErrorCode::unavailable, "nats: cannot make connection options"};
  }
  std::unique_ptr<natsOptions, void (*)(natsOptions*)> guard(opts, natsOptions_Destroy);
  natsOptions_SetURL(opts, options.url.c_str());
  natsOptions_SetTimeout(opts, 2000);
  // Reconnect for ever, and start even while the broker is down: deliveries wait for it.
  natsOptions_SetAllowReconnect(opts, true);
  natsOptions_SetMaxReconnect(opts, -1);
  natsOptions_SetReconnectWait(opts, 200);
  // With a connected callback, a first connect that fails goes on in the background (without
  // one, natsConnection_Connect would block until the broker is up: for ever).
  natsOptions_SetRetryOnFailedConnect(
      opts, true, [](natsConnection*, void*) {}, nullptr);
  auto broker = std::make_shared<Broker>();
  broker->ack_timeout = options.ack_timeout;
  const natsStatus connected = natsConnection_Connect(&broker->connection, opts);
  if (connected != NATS_OK && connected != NATS_NOT_YET_CONNECTED) {
    return Error{ErrorCode::unavailable,
                 fmt::format("nats {}: {}", options.url, natsStatus_GetText(connected))};
  }
  jsOptions js_options;
  jsOptions_Init(&js_options);
  if (natsConnection_JetStream(&broker->js, broker->connection, &js_options) != NATS_OK) {
    return Error{ErrorCode::unavailable, "nats: cannot make a JetStream context"};
  }
  auto is_connected = [broker] {
    return natsConnection_Status(broker->connection) == NATS_CONN_STATUS_CONNECTED;
  };
  return NatsSink{
      SinkFunction([broker](const Notification& n) -> SinkOutcome {
        const std::string subject(n.target.target_id);
        if (!is_nats_subject(subject)) {
          return SinkOutcome::invalid_target(
              fmt::format("target_id {} is not a NATS subject (tokens of letters, digits, '_', '-' "
                          "joined by '.')",
                          subject));
        }
        if (natsConnection_Status(broker->connection) != NATS_CONN_STATUS_CONNECTED) {
          return SinkOutcome::unavailable("nats: the broker is not reachable");
        }
        natsMsg* msg = nullptr;
        const std::string_view body = n.message();
        if (natsMsg_Create(&msg, subject.c_str(), nullptr, body.data(),
                           static_cast<int>(body.size())) != NATS_OK) {
          return SinkOutcome::failed("nats: cannot make the message");
        }
        std::unique_ptr<natsMsg, void (*)(natsMsg*)> owned(msg, natsMsg_Destroy);
        natsMsgHeader_Set(msg, "Herald-Event-Type",
                          std::string(to_string(n.trigger_event_type)).c_str());
        const std::string id(n.notification_id);
        jsPubOptions pub;
        jsPubOptions_Init(&pub);
        pub.MsgId = id.c_str();  // Nats-Msg-Id: JetStream's de-duplication
        pub.MaxWait = broker->ack_timeout.count();
        jsPubAck* ack = nullptr;
        jsErrCode error = static_cast<jsErrCode>(0);
        const natsStatus status = js_PublishMsg(&ack, broker->js, msg, &pub, &error);
        jsPubAck_Destroy(ack);
        if (status == NATS_OK) return SinkOutcome::delivered();
        if (status == NATS_NO_RESPONDERS) {
          return SinkOutcome::failed(fmt::format("nats: no stream listens on subject {}", subject));
        }
        if (natsConnection_Status(broker->connection) != NATS_CONN_STATUS_CONNECTED) {
          return SinkOutcome::unavailable("nats: the broker went away during the publish");
        }
        return SinkOutcome::failed(fmt::format("nats: {}", natsStatus_GetText(status)));
      }),
      std::move(is_connected)};
}

}  // namespace herald
