#include "core/vault.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace dd::vault {
namespace {

constexpr unsigned char kSealedTag = 0x01;
constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kMac = crypto_aead_xchacha20poly1305_ietf_ABYTES;
// Sub-key ids and context for crypto_kdf (8 characters).
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES] = {'d', 'd', 'v', 'a', 'u', 'l', 't', '1'};

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Nonces: a random 16-byte prefix drawn once per thread from the OS CSPRNG,
// then a 64-bit counter. XChaCha20's 24-byte nonces only have to be unique
// under a key; two threads share a prefix with probability 2^-128, and no
// thread seals 2^64 values. (A getrandom per nonce, or per few, cost a tenth
// of a million-row import.)
void NextNonce(unsigned char* out) {
  static_assert(kNonce == 24);
  thread_local unsigned char prefix[16];
  thread_local uint64_t counter = 0;
  if (counter == 0) randombytes_buf(prefix, sizeof prefix);
  ++counter;
  std::memcpy(out, prefix, sizeof prefix);
  for (int i = 0; i < 8; ++i) out[16 + i] = static_cast<unsigned char>(counter >> (8 * i));
}

constexpr char kLeadTag = 0x02;  // the one-value form of a lead's secrets

}  // namespace

Vault Vault::Encrypted(std::string_view master_key) {
  Vault v;
  v.encrypted_ = true;
  unsigned char mk[crypto_kdf_KEYBYTES];
  std::memcpy(mk, master_key.data(), std::min(master_key.size(), sizeof mk));
  crypto_kdf_derive_from_key(v.enc_key_, sizeof v.enc_key_, 1, kKdfContext, mk);
  crypto_kdf_derive_from_key(v.idx_key_, sizeof v.idx_key_, 2, kKdfContext, mk);
  sodium_memzero(mk, sizeof mk);
  return v;
}

Vault Vault::Plain(std::string_view index_key) {
  Vault v;
  std::memcpy(v.idx_key_, index_key.data(), std::min(index_key.size(), sizeof v.idx_key_));
  return v;
}

Vault::~Vault() {
  sodium_memzero(enc_key_, sizeof enc_key_);
  sodium_memzero(idx_key_, sizeof idx_key_);
}

int64_t Vault::PhoneKey(std::string_view e164) const {
  unsigned char h[crypto_shorthash_BYTES];
  crypto_shorthash(h, U(e164), e164.size(), idx_key_);
  int64_t k = 0;
  std::memcpy(&k, h, sizeof k);
  return k == 0 ? 1 : k;
}

bool Vault::IsSealed(std::string_view stored) {
  return stored.size() >= 1 + kNonce + kMac && static_cast<unsigned char>(stored[0]) == kSealedTag;
}

void Vault::SealInto(std::string_view plain, std::string* out) const {
  if (!encrypted_) {
    out->assign(plain);
    return;
  }
  out->resize(1 + kNonce + plain.size() + kMac);
  auto* p = reinterpret_cast<unsigned char*>(out->data());
  p[0] = kSealedTag;
  NextNonce(p + 1);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(p + 1 + kNonce, &clen, U(plain), plain.size(), nullptr,
                                             0, nullptr, p + 1, enc_key_);
}

std::string Vault::Seal(std::string_view plain) const {
  std::string out;
  SealInto(plain, &out);
  return out;
}

Result<std::string> Vault::Open(std::string_view stored) const {
  if (!IsSealed(stored)) return std::string(stored);
  if (!encrypted_) return Error(ErrorCode::kInternal, "vault_wrong_key");
  const auto* p = U(stored);
  const size_t clen = stored.size() - 1 - kNonce;
  std::string out(clen - kMac, '\0');
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(out.data()),
                                                 &mlen, nullptr, p + 1 + kNonce, clen, nullptr, 0,
                                                 p + 1, enc_key_) != 0) {
    return Error(ErrorCode::kInternal, "vault_wrong_key");
  }
  out.resize(mlen);
  return out;
}

std::string Vault::OpenOr(std::string_view stored, std::string_view fallback) const {
  auto r = Open(stored);
  return r.ok() ? std::move(*r) : std::string(fallback);
}

void Vault::SealLeadInto(std::string_view phone, std::string_view alternates,
                         std::string_view attributes, std::string* out) const {
  thread_local std::string plain;
  plain.clear();
  plain += kLeadTag;
  plain += phone;
  plain += '\0';
  plain += alternates;
  plain += '\0';
  plain += attributes;
  SealInto(plain, out);
  sodium_memzero(plain.data(), plain.size());
}

Result<Vault::LeadSecrets> Vault::OpenLead(std::string_view phone_col,
                                           std::string_view alternates_col,
                                           std::string_view attributes_col) const {
  DD_ASSIGN_OR_RETURN(std::string plain, Open(phone_col));
  LeadSecrets s;
  if (plain.empty() || plain[0] != kLeadTag) {
    // The earlier form: three columns.
    s.phone = std::move(plain);
    if (!alternates_col.empty()) {
      DD_ASSIGN_OR_RETURN(s.alternates, Open(alternates_col));
    }
    if (!attributes_col.empty()) {
      DD_ASSIGN_OR_RETURN(s.attributes, Open(attributes_col));
    }
    return s;
  }
  const std::string_view v(plain);
  const size_t a = v.find('\0', 1);
  const size_t b = a == std::string_view::npos ? a : v.find('\0', a + 1);
  if (b == std::string_view::npos) return Error(ErrorCode::kInternal, "vault_wrong_key");
  s.phone = std::string(v.substr(1, a - 1));
  s.alternates = std::string(v.substr(a + 1, b - a - 1));
  s.attributes = std::string(v.substr(b + 1));
  sodium_memzero(plain.data(), plain.size());
  return s;
}

Vault::LeadSecrets Vault::OpenLeadOr(std::string_view phone_col, std::string_view alternates_col,
                                     std::string_view attributes_col) const {
  auto r = OpenLead(phone_col, alternates_col, attributes_col);
  return r.ok() ? std::move(*r) : LeadSecrets{};
}

std::string NewMasterKey() {
  std::string k(kMasterKeyBytes, '\0');
  randombytes_buf(k.data(), k.size());
  return k;
}

Result<std::string> ParseHexKey(std::string_view hex) {
  std::string k(kMasterKeyBytes, '\0');
  size_t len = 0;
  if (hex.size() != kMasterKeyBytes * 2 ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(k.data()), k.size(), hex.data(), hex.size(),
                     nullptr, &len, nullptr) != 0 ||
      len != kMasterKeyBytes) {
    return InvalidArgument("vault_bad_key");
  }
  return k;
}

Status WriteKeyFile(const std::string& path, std::string_view key) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return InternalError("key file " + tmp + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  std::string hex(key.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), U(key), key.size());
  hex.back() = '\n';
  bool ok = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size());
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  sodium_memzero(hex.data(), hex.size());
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return InternalError("key file " + path + ": " + std::strerror(errno));
  }
  return {};
}

Result<std::string> LoadKeyFile(const std::string& path, bool create) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT || !create)
      return Error(ErrorCode::kInternal, "vault_no_key", {{"path", path}});
    std::string key = NewMasterKey();
    DD_RETURN_IF_ERROR(WriteKeyFile(path, key));
    return key;
  }
  if ((st.st_mode & 077) != 0) {
    return Error(ErrorCode::kInternal, "vault_key_mode", {{"path", path}});
  }
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  if (text.size() == kMasterKeyBytes) return text;
  auto k = ParseHexKey(text);
  sodium_memzero(text.data(), text.size());
  if (!k.ok()) return Error(ErrorCode::kInternal, "vault_bad_key", {{"path", path}});
  return k;
}

}  // namespace dd::vault
