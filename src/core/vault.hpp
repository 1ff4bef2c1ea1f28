// Encryption at rest for phone numbers and the other secret columns of a lead.
//
// With encryption on, values are sealed with XChaCha20-Poly1305 (libsodium
// AEAD) under a key derived from a 32-byte master key kept outside the
// database (a key file or an environment variable), and numbers are found
// through a keyed blind index: SipHash-2-4 of the E.164 number under a second
// derived key, stored as a 64-bit integer. A copied database file alone
// reveals no number, and its index cannot be brute-forced without the key.
//
// With encryption off (`--no-encryption` when the database is created) the
// values are stored as given and the index key lives in the database.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace dd::vault {

inline constexpr size_t kMasterKeyBytes = 32;
inline constexpr size_t kIndexKeyBytes = 16;

class Vault {
 public:
  // Encryption on: both keys derived from `master_key` (kMasterKeyBytes).
  static Vault Encrypted(std::string_view master_key);
  // Encryption off: values pass through; `index_key` (kIndexKeyBytes).
  static Vault Plain(std::string_view index_key);

  Vault(const Vault&) = default;
  Vault& operator=(const Vault&) = default;
  ~Vault();

  bool encrypted() const { return encrypted_; }

  // The blind index of an E.164 number (never 0).
  int64_t PhoneKey(std::string_view e164) const;

  // What to store for `plain` (always as a BLOB): with encryption on,
  // 0x01 | nonce | ciphertext; off, `plain` itself. Thread-safe.
  std::string Seal(std::string_view plain) const;
  void SealInto(std::string_view plain, std::string* out) const;

  // The plain value of a stored one. A stored value that is not sealed is
  // returned as it is (rows written with encryption off); a sealed one that
  // does not open under this key is an error ("vault_wrong_key").
  Result<std::string> Open(std::string_view stored) const;
  // Open() for display paths: "" when a value cannot be opened.
  std::string OpenOr(std::string_view stored, std::string_view fallback = "") const;

  static bool IsSealed(std::string_view stored);

  // A lead's secrets are sealed together, as one value in leads.phone (one
  // AEAD per lead): its number, its other numbers (JSON array) and the extra
  // columns of its file (JSON object), as 0x02 | phone | 0 | alternates | 0 |
  // attributes. Leads stored before keep the three in their own columns
  // (leads.alternates, leads.attributes); those columns are empty for leads
  // in the one-value form, and OpenLead reads both forms.
  struct LeadSecrets {
    std::string phone;
    std::string alternates = "[]";
    std::string attributes = "{}";
  };
  void SealLeadInto(std::string_view phone, std::string_view alternates,
                    std::string_view attributes, std::string* out) const;
  Result<LeadSecrets> OpenLead(std::string_view phone_col, std::string_view alternates_col = {},
                               std::string_view attributes_col = {}) const;
  // OpenLead() for display paths: what does not open comes back empty.
  LeadSecrets OpenLeadOr(std::string_view phone_col, std::string_view alternates_col = {},
                         std::string_view attributes_col = {}) const;

 private:
  Vault() = default;
  bool encrypted_ = false;
  unsigned char enc_key_[32] = {};
  unsigned char idx_key_[16] = {};
};

// Reads a master key from `path` (32 raw bytes, or 64 hex characters), or
// creates the file with a fresh random key and mode 0600 when `create` and it
// does not exist. Refuses a key file that others can read.
Result<std::string> LoadKeyFile(const std::string& path, bool create);
// Writes `key` to `path` atomically (temp file, fsync, rename), mode 0600.
Status WriteKeyFile(const std::string& path, std::string_view key);
// Parses a key given as 64 hex characters (e.g. from an environment variable).
Result<std::string> ParseHexKey(std::string_view hex);
std::string NewMasterKey();

}  // namespace dd::vault
