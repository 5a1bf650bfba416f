// What signs an SMN push (contract §5): the SMN signature (RSA PKCS#1 v1.5 over SHA-256 of the
// sorted fields, with a key whose self-signed certificate receivers fetch from
// signing_cert_url) and the Standard Webhooks signature (HMAC-SHA256 with the subscription's
// `whsec_` secret). All cryptography is OpenSSL's.
//
// Thread-safety: a SigningKey is immutable once made and may sign from any thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "herald/error.hpp"

namespace herald::detail {

/// Base64 (RFC 4648, with padding) of `bytes`.
[[nodiscard]] std::string base64(std::string_view bytes);
/// The bytes of base64 `text`, or nullopt when it is not base64.
[[nodiscard]] std::optional<std::string> from_base64(std::string_view text);

class SigningKey {
 public:
  /// A new 2048-bit RSA key.
  static Result<SigningKey> generate();
  /// A PEM RSA private key (PKCS#1 or PKCS#8) of at least 2048 bits. Errors: invalid_argument
  /// naming what is wrong (not PEM, not RSA, too short).
  static Result<SigningKey> from_pem(std::string_view pem);

  /// The private key as PKCS#8 PEM (what a store keeps).
  [[nodiscard]] std::string private_pem() const;
  /// A self-signed X.509 certificate of the key (PEM), made when the key was loaded, valid
  /// for ten years from then: what signing_cert_url serves.
  [[nodiscard]] const std::string& certificate_pem() const noexcept { return certificate_; }
  /// A stable id of the key (16 hex digits of the SHA-256 of its public key), for the
  /// certificate's URL.
  [[nodiscard]] const std::string& key_id() const noexcept { return key_id_; }
  /// Base64 RSA PKCS#1 v1.5 signature over SHA-256 of `text`.
  [[nodiscard]] std::string sign(std::string_view text) const;

 private:
  struct Key;
  explicit SigningKey(std::shared_ptr<Key> key);
  std::shared_ptr<Key> key_;
  std::string certificate_;
  std::string key_id_;
};

/// What the SMN signature covers: `fields` (message, message_id, subject when present,
/// subscribe_url for a confirmation, timestamp, topic_urn, type) sorted by name, each written
/// as its name, `\n`, its value, `\n`.
[[nodiscard]] std::string smn_string_to_sign(const std::map<std::string, std::string>& fields);

/// A new Standard Webhooks secret: "whsec_" + base64 of 32 random bytes.
[[nodiscard]] std::string new_webhook_secret();
/// The `webhook-signature` header: "v1," + base64 HMAC-SHA256(key, id + "." + timestamp + "." +
/// body), the key being the base64-decoded bytes after "whsec_". Errors: invalid_argument when
/// `secret` is not a whsec_ secret.
Result<std::string> webhook_signature(std::string_view secret, std::string_view id,
                                      std::string_view timestamp, std::string_view body);

}  // namespace herald::detail
