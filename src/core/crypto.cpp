#include "core/crypto.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <semaphore>
#include <string>

namespace dd::crypto {
namespace {

std::counting_semaphore<kMaxConcurrentHashes>& HashSlots() {
  static std::counting_semaphore<kMaxConcurrentHashes> slots(kMaxConcurrentHashes);
  return slots;
}

class SlotGuard {
 public:
  SlotGuard() { HashSlots().acquire(); }
  ~SlotGuard() { HashSlots().release(); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;
};

}  // namespace

bool InitCrypto() { return sodium_init() >= 0; }

std::string RandomToken(size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  sodium_memzero(raw.data(), raw.size());
  return out;
}

std::string Sha256Hex(std::string_view data) {
  // OpenSSL's SHA-256 uses the CPU's SHA instructions where it has them
  // (libsodium's is portable C, a third of an audit entry's cost on the
  // desk's journal); fetched once, not looked up per call.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[crypto_hash_sha256_BYTES];
  unsigned int len = 0;
  if (!kSha256 || EVP_Digest(data.data(), data.size(), digest, &len, kSha256, nullptr) != 1 ||
      len != sizeof digest) {
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  }
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

bool SafeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string HashPassword(std::string_view password) {
  SlotGuard slot;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return "";
  }
  return out;
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  std::string h(hash);  // needs NUL termination
  SlotGuard slot;
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

}  // namespace dd::crypto
