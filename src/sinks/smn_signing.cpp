#include "sinks/smn_signing.hpp"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <optional>
#include <stdexcept>

namespace herald::detail {
namespace {

struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

// The oldest error OpenSSL queued, as text (and the queue emptied).
std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> from_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

struct SigningKey::Key {
  explicit Key(EVP_PKEY* k) : pkey(k) {}
  ~Key() { EVP_PKEY_free(pkey); }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  EVP_PKEY* pkey;
};

SigningKey::SigningKey(std::shared_ptr<Key> key) : key_(std::move(key)) {
  // The certificate: self-signed, ten years, a random serial.
  std::unique_ptr<X509, X509Free> cert(X509_new());
  if (!cert) throw std::bad_alloc();
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) {
    throw std::runtime_error("herald: the random generator (OpenSSL RAND_bytes) failed");
  }
  serial[0] &= 0x7f;  // positive
  BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert.get()));
  BN_free(number);
  X509_set_version(cert.get(), 2);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key_->pkey);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("herald SMN signing"), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key_->pkey, EVP_sha256()) == 0) {
    throw std::runtime_error("herald: cannot sign the SMN certificate: " + openssl_error());
  }
  Bio out(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(out.get(), cert.get());
  certificate_ = bio_text(out.get());
  // The key id: the SHA-256 of the DER public key, 16 hex digits.
  unsigned char* der = nullptr;
  const int der_size = i2d_PUBKEY(key_->pkey, &der);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_Digest(der, static_cast<std::size_t>(der_size), digest, &digest_size, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  for (unsigned i = 0; i < 8; ++i) key_id_ += fmt::format("{:02x}", digest[i]);
}

Result<SigningKey> SigningKey::generate() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
  if (pkey == nullptr) {
    return Error{ErrorCode::internal, "cannot make an RSA key: " + openssl_error()};
  }
  return SigningKey(std::make_shared<Key>(pkey));
}

Result<SigningKey> SigningKey::from_pem(std::string_view pem) {
  Bio in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  // PEM_read_bio_PrivateKey reads PKCS#8 and the traditional PKCS#1 form alike.
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr);
  if (pkey == nullptr) {
    ERR_clear_error();
    return Error{ErrorCode::invalid_argument,
                 "smn signing key: not a PEM private key (PKCS#1 or PKCS#8, unencrypted)"};
  }
  auto key = std::make_shared<Key>(pkey);
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
    return Error{ErrorCode::invalid_argument, "smn signing key: not an RSA key"};
  }
  if (const int bits = EVP_PKEY_get_bits(pkey); bits < 2048) {
    return Error{ErrorCode::invalid_argument,
                 fmt::format("smn signing key: {} bits; at least 2048 are needed", bits)};
  }
  return SigningKey(std::move(key));
}

std::string SigningKey::private_pem() const {
  Bio out(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(out.get(), key_->pkey, nullptr, nullptr, 0, nullptr, nullptr);
  return bio_text(out.get());
}

std::string SigningKey::sign(std::string_view text) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> context(EVP_MD_CTX_new());
  std::size_t size = 0;
  // RSA keys sign with PKCS#1 v1.5 padding unless told otherwise.
  if (!context ||
      EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key_->pkey) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &size,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1) {
    throw std::runtime_error("herald: cannot sign: " + openssl_error());
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1) {
    throw std::runtime_error("herald: cannot sign: " + openssl_error());
  }
  signature.resize(size);
  return base64(signature);
}

std::string smn_string_to_sign(const std::map<std::string, std::string>& fields) {
  std::string text;
  for (const auto& [name, value] : fields) {  // std::map: sorted by name
    text += name;
    text += '\n';
    text += value;
    text += '\n';
  }
  return text;
}

std::string new_webhook_secret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    throw std::runtime_error("herald: the random generator (OpenSSL RAND_bytes) failed");
  }
  return "whsec_" + base64(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

Result<std::string> webhook_signature(std::string_view secret, std::string_view id,
                                      std::string_view timestamp, std::string_view body) {
  constexpr std::string_view k_prefix = "whsec_";
  const auto key =
      secret.starts_with(k_prefix) ? from_base64(secret.substr(k_prefix.size())) : std::nullopt;
  if (!key || key->empty()) {
    return Error{ErrorCode::invalid_argument,
                 "signing_secret: must be whsec_ followed by base64 bytes"};
  }
  std::string signed_text;
  signed_text.reserve(id.size() + timestamp.size() + body.size() + 2);
  signed_text.append(id).append(".").append(timestamp).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
           reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
           &mac_size) == nullptr) {
    return Error{ErrorCode::internal, "cannot compute HMAC-SHA256: " + openssl_error()};
  }
  return "v1," + base64(std::string_view(reinterpret_cast<const char*>(mac), mac_size));
}

}  // namespace herald::detail
