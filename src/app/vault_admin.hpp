// Opening the vault of a database (src/core/vault.hpp): deciding encryption
// on or off when the database is created, finding the master key, checking it
// against the database, completing rows written before encryption, and
// rotating the key.
#pragma once

#include <memory>
#include <string>

#include "core/vault.hpp"
#include "db/database.hpp"

namespace dd::app {

struct VaultOptions {
  std::string key_file;        // default: <database path>.key
  std::string key_hex;         // DIALDECK_KEY: overrides the key file
  bool no_encryption = false;  // only when the database is created
};

// The key file used for `db_url` under `opts`.
std::string KeyFilePath(const std::string& db_url, const VaultOptions& opts);

Result<std::unique_ptr<vault::Vault>> OpenVault(db::Database& db, const std::string& db_url,
                                                const VaultOptions& opts);

struct RotateReport {
  int64_t leads = 0;
  int64_t dnc = 0;
  std::string key_file;
};
// Re-encrypts every sealed value and recomputes every blind index under a
// new master key, then replaces the key file. A crash leaves either the old
// key with the old data or the new key file beside it (<key>.new), which the
// next start completes.
Result<RotateReport> RotateKey(db::Database& db, const std::string& db_url,
                               const VaultOptions& opts, std::unique_ptr<vault::Vault>* current);

}  // namespace dd::app
