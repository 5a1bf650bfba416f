// The signatures of an SMN push (contract §5), checked the way a receiver checks them.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sinks/smn_signing.hpp"

namespace herald::detail {
namespace {

// What a receiver does: read the certificate served at signing_cert_url, verify the base64
// RSA-SHA256 signature of the string to sign with its public key.
bool receiver_verifies(const std::string& certificate_pem, const std::string& text,
                       const std::string& signature_base64) {
  BIO* in = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
  X509* cert = PEM_read_bio_X509(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  if (cert == nullptr) return false;
  EVP_PKEY* key = X509_get_pubkey(cert);
  const auto signature = from_base64(signature_base64);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  const bool ok =
      signature && key != nullptr &&
      EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature->data()),
                       signature->size(), reinterpret_cast<const unsigned char*>(text.data()),
                       text.size()) == 1;
  EVP_MD_CTX_free(context);
  EVP_PKEY_free(key);
  X509_free(cert);
  return ok;
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
  EXPECT_EQ(webhook_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                              "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                              R"({"test": 2432232314})")
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

}  // namespace
}  // namespace herald::detail
