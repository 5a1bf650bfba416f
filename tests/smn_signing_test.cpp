// The signatures of an SMN push (contract §5), checked the way a receiver checks them.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <openssl/hmac.h>

#include <boost/json.hpp>

#include "sinks/smn_push_message.hpp"
#include "sinks/smn_signing.hpp"
#include "smn_verify.hpp"

namespace herald::detail {
namespace {

// What a receiver does (smn_verify.hpp): the served certificate's key checks the signature.
bool receiver_verifies(const std::string& certificate_pem, const std::string& text,
                       const std::string& signature_base64) {
  return testing::smn_signature_verifies(certificate_pem, text, signature_base64);
}

TEST(smn_signing_test, base64_follows_rfc_4648) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(from_base64("Zm8="), std::optional<std::string>("fo"));
  EXPECT_EQ(from_base64("Zg=="), std::optional<std::string>("f"));
  EXPECT_EQ(from_base64("Zm9"), std::nullopt) << "not a multiple of 4";
  EXPECT_EQ(from_base64("Zm9*"), std::nullopt);
}

TEST(smn_signing_test, the_smn_string_to_sign_is_the_sorted_fields_each_name_newline_value) {
  const std::map<std::string, std::string> fields = {{"type", "Notification"},
                                                     {"message", "{\"a\":1}"},
                                                     {"timestamp", "2026-12-01T07:29:16Z"},
                                                     {"message_id", "m-1"},
                                                     {"topic_urn", "urn:smn:r:p:t"},
                                                     {"subject", "e"}};
  EXPECT_EQ(smn_string_to_sign(fields),
            "message\n{\"a\":1}\nmessage_id\nm-1\nsubject\ne\ntimestamp\n2026-12-01T07:29:16Z\n"
            "topic_urn\nurn:smn:r:p:t\ntype\nNotification\n");
}

TEST(smn_signing_test, a_signature_verifies_with_the_served_certificate_and_only_for_its_text) {
  const auto key = SigningKey::generate().value();
  const std::string text = "message\nhello\ntype\nNotification\n";
  const std::string signature = key.sign(text);
  EXPECT_TRUE(receiver_verifies(key.certificate_pem(), text, signature));
  EXPECT_FALSE(receiver_verifies(key.certificate_pem(), text + "x", signature)) << "tampered";
  const auto other = SigningKey::generate().value();
  EXPECT_FALSE(receiver_verifies(other.certificate_pem(), text, signature)) << "another key";
  EXPECT_NE(key.key_id(), other.key_id());
  EXPECT_EQ(key.key_id().size(), 16U);
}

TEST(smn_signing_test, a_kept_key_comes_back_the_same_and_bad_keys_are_refused_by_reason) {
  const auto key = SigningKey::generate().value();
  const auto again = SigningKey::from_pem(key.private_pem());
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->key_id(), key.key_id()) << "the same key after a restart";
  EXPECT_TRUE(receiver_verifies(key.certificate_pem(), "t", again->sign("t")));

  EXPECT_EQ(SigningKey::from_pem("not a key").error().message(),
            "smn signing key: not a PEM private key (PKCS#1 or PKCS#8, unencrypted)");
  EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024));
  EVP_PKEY* ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  const auto pem_of = [](EVP_PKEY* pkey) {
    BIO* out = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(out, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long size = BIO_get_mem_data(out, &data);
    std::string pem(data, static_cast<std::size_t>(size));
    BIO_free(out);
    return pem;
  };
  EXPECT_EQ(SigningKey::from_pem(pem_of(small)).error().message(),
            "smn signing key: 1024 bits; at least 2048 are needed");
  EXPECT_EQ(SigningKey::from_pem(pem_of(ec)).error().message(), "smn signing key: not an RSA key");
  EVP_PKEY_free(small);
  EVP_PKEY_free(ec);
}

TEST(smn_signing_test, the_webhook_signature_matches_the_standard_webhooks_test_vector) {
  // The example of the Standard Webhooks specification.
  EXPECT_EQ(
      webhook_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                        "1614265330", R"({"test": 2432232314})")
          .value(),
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  EXPECT_EQ(webhook_signature("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", "1", "b").error().message(),
            "signing_secret: must be whsec_ followed by base64 bytes");
  const std::string secret = new_webhook_secret();
  EXPECT_TRUE(secret.starts_with("whsec_"));
  EXPECT_EQ(from_base64(secret.substr(6))->size(), 32U);
  EXPECT_NE(secret, new_webhook_secret());
  EXPECT_TRUE(webhook_signature(secret, "m", "1", "b").ok());
}

TEST(smn_push_message_test, a_notification_carries_every_field_and_both_signatures_verify) {
  const auto key = SigningKey::generate().value();
  const std::string secret = new_webhook_secret();
  SmnPushMessage m{.type = SmnPushMessage::Type::notification,
                   .topic_urn = "urn:smn:region-1:p:t",
                   .subscription_urn = "urn:smn:region-1:p:t:0123456789abcdef0123456789abcdef",
                   .message_id = "01900000-0000-7000-8000-000000000001",
                   .message = R"({"event_name":"e","secret_name":"db"})",
                   .subject = "e",
                   .timestamp = 1'796'110'156,  // 2026-12-01T07:29:16Z
                   .unsubscribe_url = "http://herald:8080/v2/smn/subscriptions/unsubscribe?token=u",
                   .signing_cert_url = "http://herald:8080/v2/smn/certificates/k.pem"};
  const std::string body = smn_push_body(m, key);
  const auto json = boost::json::parse(body).as_object();
  EXPECT_EQ(json.at("type").as_string(), "Notification");
  EXPECT_EQ(json.at("topic_urn").as_string(), m.topic_urn);
  EXPECT_EQ(json.at("message_id").as_string(), m.message_id);
  EXPECT_EQ(json.at("message").as_string(), m.message) << "the herald message, as a string";
  EXPECT_EQ(json.at("subject").as_string(), "e");
  EXPECT_EQ(json.at("timestamp").as_string(), "2026-12-01T07:29:16Z");
  EXPECT_EQ(json.at("signature_version").as_string(), "v1");
  EXPECT_EQ(json.at("signing_cert_url").as_string(), m.signing_cert_url);
  EXPECT_EQ(json.at("unsubscribe_url").as_string(), m.unsubscribe_url);
  EXPECT_FALSE(json.contains("subscribe_url"));
  // The receiver's SMN check: the sorted fields, with the served certificate.
  const std::string to_sign = "message\n" + m.message + "\nmessage_id\n" + m.message_id +
                              "\nsubject\ne\ntimestamp\n2026-12-01T07:29:16Z\ntopic_urn\n" +
                              m.topic_urn + "\ntype\nNotification\n";
  EXPECT_TRUE(receiver_verifies(key.certificate_pem(), to_sign,
                                std::string(json.at("signature").as_string())));

  const auto headers = smn_push_headers(m, body, secret, 1'796'110'200).value();
  const auto header = [&](std::string_view name) {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return std::string();
  };
  EXPECT_EQ(header("X-SMN-MESSAGE-TYPE"), "Notification");
  EXPECT_EQ(header("X-SMN-MESSAGE-ID"), m.message_id);
  EXPECT_EQ(header("X-SMN-TOPIC-URN"), m.topic_urn);
  EXPECT_EQ(header("X-SMN-SUBSCRIPTION-URN"), m.subscription_urn);
  EXPECT_EQ(header("webhook-id"), m.message_id);
  EXPECT_EQ(header("webhook-timestamp"), "1796110200") << "the attempt's time";
  // The receiver's Standard Webhooks check, with OpenSSL's HMAC directly.
  const auto key_bytes = from_base64(secret.substr(6)).value();
  const std::string signed_text = m.message_id + ".1796110200." + body;
  unsigned char mac[32];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), key_bytes.data(), static_cast<int>(key_bytes.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
       &mac_size);
  EXPECT_EQ(header("webhook-signature"),
            "v1," + base64(std::string_view(reinterpret_cast<const char*>(mac), mac_size)));
}

TEST(smn_push_message_test, a_confirmation_carries_its_subscribe_url_signed) {
  const auto key = SigningKey::generate().value();
  SmnPushMessage m{.type = SmnPushMessage::Type::confirmation,
                   .topic_urn = "urn:smn:region-1:p:t",
                   .message_id = "c-1",
                   .message = "You are invited to subscribe to topic urn:smn:region-1:p:t",
                   .timestamp = 1'796'110'156,
                   .subscribe_url = "http://herald:8080/v2/smn/subscriptions/confirm?token=c",
                   .signing_cert_url = "http://herald:8080/v2/smn/certificates/k.pem"};
  const auto json = boost::json::parse(smn_push_body(m, key)).as_object();
  EXPECT_EQ(json.at("type").as_string(), "SubscriptionConfirmation");
  EXPECT_EQ(json.at("subscribe_url").as_string(), m.subscribe_url);
  EXPECT_FALSE(json.contains("subject"));
  EXPECT_FALSE(json.contains("unsubscribe_url"));
  const std::string to_sign = "message\n" + m.message + "\nmessage_id\nc-1\nsubscribe_url\n" +
                              m.subscribe_url + "\ntimestamp\n2026-12-01T07:29:16Z\ntopic_urn\n" +
                              m.topic_urn + "\ntype\nSubscriptionConfirmation\n";
  EXPECT_TRUE(receiver_verifies(key.certificate_pem(), to_sign,
                                std::string(json.at("signature").as_string())));
}

}  // namespace
}  // namespace herald::detail
