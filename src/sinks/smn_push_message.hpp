// What an SMN push sends (contract §5): the JSON body, signed with the SMN signature, and the
// headers, with the Standard Webhooks signature made anew for each attempt.
//
// Thread-safety: plain functions.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "herald/error.hpp"
#include "sinks/smn_signing.hpp"

namespace herald::detail {

struct SmnPushMessage {
  enum class Type { confirmation, notification };
  Type type = Type::notification;
  std::string topic_urn;
  std::string subscription_urn;
  std::string message_id;       ///< the notification_id (a confirmation: its own id)
  std::string message;          ///< the herald message, as a string
  std::string subject;          ///< the event name (notifications only)
  std::int64_t timestamp = 0;   ///< the first publish time, epoch seconds
  std::string subscribe_url;    ///< confirmations only
  std::string unsubscribe_url;  ///< notifications only
  std::string signing_cert_url;
};

/// The type's wire spelling: "SubscriptionConfirmation" or "Notification".
[[nodiscard]] std::string_view to_string(SmnPushMessage::Type type) noexcept;

/// The JSON body: type, topic_urn, message_id, message, timestamp (RFC 3339 UTC, whole
/// seconds), signature_version "v1", signature (RSA-SHA256 of the sorted fields),
/// signing_cert_url, and subject + unsubscribe_url (notifications) or subscribe_url
/// (confirmations).
[[nodiscard]] std::string smn_push_body(const SmnPushMessage& message, const SigningKey& key);
/// The SMN signature of `message` (base64): the same for every subscription of a topic, since
/// the signed fields do not name the subscription.
[[nodiscard]] std::string smn_push_signature(const SmnPushMessage& message, const SigningKey& key);
/// The body, with a signature made by smn_push_signature.
[[nodiscard]] std::string smn_push_body(const SmnPushMessage& message, std::string_view signature);

/// The headers of one attempt at `attempt_time` (epoch seconds): X-SMN-MESSAGE-TYPE,
/// X-SMN-MESSAGE-ID, X-SMN-TOPIC-URN, X-SMN-SUBSCRIPTION-URN, webhook-id, webhook-timestamp,
/// webhook-signature. Errors: invalid_argument when `signing_secret` is not a whsec_ secret.
Result<std::vector<std::pair<std::string, std::string>>> smn_push_headers(
    const SmnPushMessage& message, std::string_view body, std::string_view signing_secret,
    std::int64_t attempt_time);

}  // namespace herald::detail
