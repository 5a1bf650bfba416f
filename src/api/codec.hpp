// The JSON codec of the REST facade (Boost.JSON, in codec.cpp only): every request body of the
// contract decoded into herald's values, every answer encoded.
//
// Decoding: malformed JSON, a body that is not an object, or a field of the wrong JSON type
// (null included) → malformed_request (CSMS.0004) naming the field; a missing required field or
// a value outside its rules → invalid_argument (CSMS.0002) naming the field. Unknown fields are
// ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/error.hpp"
#include "herald/event.hpp"
#include "herald/lifecycle.hpp"
#include "herald/page.hpp"
#include "herald/record.hpp"
#include "herald/secret.hpp"
#include "herald/smn.hpp"

namespace herald::api {

struct LifecycleRequest {
  std::string secret_name;
  EventType event_type = EventType::secret_version_created;
  SecretType secret_type = SecretType::common;
  std::string version_id;
};

struct TopicRequest {
  std::string name;
  std::string display_name;
};

struct SubscriptionRequest {
  std::string protocol;
  std::string endpoint;
  std::string remark;
};

Result<EventSpec> decode_event_spec(std::string_view body);
Result<EventPatch> decode_event_patch(std::string_view body);
Result<std::vector<std::string>> decode_subscriptions(std::string_view body);
Result<LifecycleRequest> decode_lifecycle(std::string_view body);
/// `{"expire_time": ms}`, an integer.
Result<std::int64_t> decode_expire_time(std::string_view body);
Result<TopicRequest> decode_topic(std::string_view body);
/// AddSubscription's body: protocol, endpoint (required), remark (optional).
Result<SubscriptionRequest> decode_subscription(std::string_view body);

std::string encode_event(const Event& event);  // {"event": …}
std::string encode_events(const Page<Event>& page);
std::string encode_secret(const Secret& secret);  // {"secret": …}
std::string encode_secrets(const Page<Secret>& page);
std::string encode_records(const Page<NotificationRecord>& page);
std::string encode_trigger(const TriggerReport& report);
std::string encode_version(const VersionExpiry& expiry);
/// ShowSecretVersion's shape: {"version": {"version_metadata": {...}}}.
std::string encode_version_show(const VersionExpiry& expiry);
/// GET /readyz's 503 body: {"status": "unavailable", "reason": reason}.
std::string encode_unready(std::string_view reason);
std::string encode_topic_created(std::string_view request_id, const SmnTopic& topic);
std::string encode_topic(std::string_view request_id, const SmnTopic& topic);
std::string encode_topics(std::string_view request_id, const SmnTopicPage& page);
std::string encode_request_id(std::string_view request_id);
/// {"request_id", "subscription_urn"} and, when the call made it, "signing_secret".
std::string encode_subscription_added(std::string_view request_id,
                                      const SmnSubscriptionAdded& added);
std::string encode_subscriptions(std::string_view request_id, const SmnSubscriptionPage& page);
/// The delivery log: {"request_id", "deliveries": [...], "page_info": {"current_count",
/// "next_marker" (when there is a next page), "previous_marker" (the marker given)}}.
std::string encode_deliveries(std::string_view request_id, const SmnDeliveryPage& page,
                              std::string_view marker);
/// {"request_id", "subscription_urn", "signing_secret"}: a rotated secret.
std::string encode_signing_secret(std::string_view request_id, std::string_view subscription_urn,
                                  std::string_view secret);
std::string encode_error(const Error& error);

}  // namespace herald::api
