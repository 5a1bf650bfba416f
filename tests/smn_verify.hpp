// How a receiver checks an SMN push: the SMN signature with the certificate served at
// signing_cert_url, and the Standard Webhooks signature with its whsec_ secret. OpenSSL only,
// independent of herald's signing code.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <optional>
#include <string>

namespace herald::testing {

inline std::optional<std::string> decode_base64(const std::string& text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

/// Whether `signature_base64` is an RSA-SHA256 signature of `text` by the certificate's key.
inline bool smn_signature_verifies(const std::string& certificate_pem, const std::string& text,
                                   const std::string& signature_base64) {
  BIO* in = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
  X509* cert = PEM_read_bio_X509(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  if (cert == nullptr) return false;
  EVP_PKEY* key = X509_get_pubkey(cert);
  const auto signature = decode_base64(signature_base64);
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

/// The webhook-signature header a receiver expects for `id`, `timestamp` and `body`.
inline std::string expected_webhook_signature(const std::string& secret, const std::string& id,
                                              const std::string& timestamp,
                                              const std::string& body) {
  const auto key = decode_base64(secret.substr(6)).value_or("");
  const std::string text = id + "." + timestamp + "." + body;
  unsigned char mac[32];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &size);
  std::string out(4 * ((size + 2) / 3), '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return "v1," + out;
}

}  // namespace herald::testing
