#include "sinks/smn_push_message.hpp"

#include <fmt/format.h>

#include <chrono>
#include <map>

#include "model/message.hpp"

namespace herald::detail {

std::string_view to_string(SmnPushMessage::Type type) noexcept {
  return type == SmnPushMessage::Type::confirmation ? "SubscriptionConfirmation" : "Notification";
}

namespace {

// RFC 3339 UTC in whole seconds, e.g. "2026-12-01T07:29:16Z".
std::string rfc3339_seconds(std::int64_t epoch_seconds) {
  const std::chrono::sys_seconds time{std::chrono::seconds(epoch_seconds)};
  const auto day = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss clock{time - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count());
}

}  // namespace

namespace {

// The signed fields, sorted by name (std::map).
std::map<std::string, std::string> signed_fields_of(const SmnPushMessage& m) {
  std::map<std::string, std::string> signed_fields = {{"message", m.message},
                                                      {"message_id", m.message_id},
                                                      {"timestamp", rfc3339_seconds(m.timestamp)},
                                                      {"topic_urn", m.topic_urn},
                                                      {"type", std::string(to_string(m.type))}};
  if (m.type == SmnPushMessage::Type::confirmation) {
    signed_fields["subscribe_url"] = m.subscribe_url;
  } else {
    signed_fields["subject"] = m.subject;
  }
  return signed_fields;
}

}  // namespace

std::string smn_push_signature(const SmnPushMessage& m, const SigningKey& key) {
  return key.sign(smn_string_to_sign(signed_fields_of(m)));
}

std::string smn_push_body(const SmnPushMessage& m, const SigningKey& key) {
  return smn_push_body(m, smn_push_signature(m, key));
}

std::string smn_push_body(const SmnPushMessage& m, std::string_view signature) {
  const bool confirmation = m.type == SmnPushMessage::Type::confirmation;
  std::map<std::string, std::string> fields = signed_fields_of(m);
  fields["signature_version"] = "v1";
  fields["signature"] = std::string(signature);
  fields["signing_cert_url"] = m.signing_cert_url;
  if (!confirmation) fields["unsubscribe_url"] = m.unsubscribe_url;
  std::string body = "{";
  for (const auto& [name, value] : fields) {
    if (body.size() > 1) body += ',';
    append_json_string(body, name);
    body += ':';
    append_json_string(body, value);
  }
  body += '}';
  return body;
}

Result<std::vector<std::pair<std::string, std::string>>> smn_push_headers(
    const SmnPushMessage& m, std::string_view body, std::string_view signing_secret,
    std::int64_t attempt_time) {
  const std::string timestamp = std::to_string(attempt_time);
  auto signature = webhook_signature(signing_secret, m.message_id, timestamp, body);
  if (!signature) return std::move(signature).error();
  return std::vector<std::pair<std::string, std::string>>{
      {"X-SMN-MESSAGE-TYPE", std::string(to_string(m.type))},
      {"X-SMN-MESSAGE-ID", m.message_id},
      {"X-SMN-TOPIC-URN", m.topic_urn},
      {"X-SMN-SUBSCRIPTION-URN", m.subscription_urn},
      {"webhook-id", m.message_id},
      {"webhook-timestamp", timestamp},
      {"webhook-signature", std::move(signature).value()}};
}

}  // namespace herald::detail
