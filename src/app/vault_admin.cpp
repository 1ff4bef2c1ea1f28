#include "app/vault_admin.hpp"

#include <sodium.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include "modules/intake/batch_keys.hpp"

namespace dd::app {
namespace {

constexpr std::string_view kCheck = "dialdeck-vault-check";

Result<std::string> MasterKey(const std::string& path, const VaultOptions& opts, bool create) {
  if (!opts.key_hex.empty()) return vault::ParseHexKey(opts.key_hex);
  return vault::LoadKeyFile(path, create);
}

bool Opens(const vault::Vault& v, const std::string& check) {
  auto r = v.Open(check);
  return r.ok() && *r == kCheck;
}

// Rewrites every lead and do-not-call row whose blind index is missing
// (`all` = false) or every row (`all` = true, a key rotation): open with
// `from`, seal and index with `to`. Runs inside the caller's transaction.
Status Reseal(db::Connection& conn, const vault::Vault& from, const vault::Vault& to, bool all,
              RotateReport* report) {
  const std::string where = all ? "" : " AND phone_key IS NULL";
  for (const char* table : {"leads", "dnc"}) {
    const bool leads = std::string_view(table) == "leads";
    int64_t last = 0;
    for (;;) {
      DD_ASSIGN_OR_RETURN(
          auto rows,
          conn.Query(std::string("SELECT id, phone") + (leads ? ", alternates, attributes" : "") +
                         " FROM " + table + " WHERE id > ?" + where + " ORDER BY id LIMIT 5000",
                     {last}));
      if (rows.empty()) break;
      for (const auto& r : rows) {
        last = r.Int(0);
        db::Params p;
        if (leads) {
          // Leads leave in the one-value form, whichever form they had.
          DD_ASSIGN_OR_RETURN(auto s, from.OpenLead(r.Text(1), r.Text(2), r.Text(3)));
          std::string sealed;
          to.SealLeadInto(s.phone, s.alternates, s.attributes, &sealed);
          p = {to.PhoneKey(s.phone), db::Value::Blob(std::move(sealed)), last};
          sodium_memzero(s.attributes.data(), s.attributes.size());
        } else {
          DD_ASSIGN_OR_RETURN(std::string phone, from.Open(r.Text(1)));
          p = {to.PhoneKey(phone), db::Value::Blob(to.Seal(phone)), last};
        }
        DD_RETURN_IF_ERROR(conn.Exec(
            leads ? "UPDATE leads SET phone_key = ?, phone = ?, alternates = X'', attributes = X'' "
                    "WHERE id = ?"
                  : "UPDATE dnc SET phone_key = ?, phone = ? WHERE id = ?",
            p));
        ++(leads ? report->leads : report->dnc);
      }
    }
  }
  // The import's duplicate check keeps the batches' keys apart: rebuilt.
  if (report->leads > 0) DD_RETURN_IF_ERROR(intake::MarkAllBatchKeysStale(conn));
  return {};
}

}  // namespace

std::string KeyFilePath(const std::string& db_url, const VaultOptions& opts) {
  return opts.key_file.empty() ? db_url + ".key" : opts.key_file;
}

Result<std::unique_ptr<vault::Vault>> OpenVault(db::Database& db, const std::string& db_url,
                                                const VaultOptions& opts) {
  const std::string path = KeyFilePath(db_url, opts);
  DD_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  std::unique_ptr<vault::Vault> v;
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    DD_ASSIGN_OR_RETURN(auto rows, conn->Query("SELECT name, value FROM vault_meta"));
    std::map<std::string, std::string> meta;
    for (const auto& r : rows) meta[r.Text(0)] = r.Text(1);
    if (meta.empty()) {
      // A new database (or one from before encryption): decide now.
      if (opts.no_encryption) {
        std::string idx(vault::kIndexKeyBytes, '\0');
        randombytes_buf(idx.data(), idx.size());
        v = std::make_unique<vault::Vault>(vault::Vault::Plain(idx));
        DD_RETURN_IF_ERROR(
            conn->Exec("INSERT INTO vault_meta (name, value) VALUES ('mode', "
                       "'plain'), ('index_key', ?)",
                       {db::Value::Blob(idx)}));
      } else {
        DD_ASSIGN_OR_RETURN(std::string mk, MasterKey(path, opts, true));
        v = std::make_unique<vault::Vault>(vault::Vault::Encrypted(mk));
        sodium_memzero(mk.data(), mk.size());
        DD_RETURN_IF_ERROR(
            conn->Exec("INSERT INTO vault_meta (name, value) VALUES ('mode', "
                       "'encrypted'), ('check', ?)",
                       {db::Value::Blob(v->Seal(kCheck))}));
      }
    } else if (meta["mode"] == "plain") {
      v = std::make_unique<vault::Vault>(vault::Vault::Plain(meta["index_key"]));
    } else {
      auto mk = MasterKey(path, opts, false);
      if (mk.ok()) v = std::make_unique<vault::Vault>(vault::Vault::Encrypted(*mk));
      if (!v || !Opens(*v, meta["check"])) {
        // A rotation that stopped between its commit and the key file's
        // rename: the new key is beside the old one.
        auto next = opts.key_hex.empty() ? vault::LoadKeyFile(path + ".new", false)
                                         : Result<std::string>(Error(ErrorCode::kInternal, ""));
        if (next.ok() && Opens(vault::Vault::Encrypted(*next), meta["check"])) {
          if (std::rename((path + ".new").c_str(), path.c_str()) != 0) {
            return InternalError("cannot rename " + path + ".new");
          }
          v = std::make_unique<vault::Vault>(vault::Vault::Encrypted(*next));
        } else if (!mk.ok()) {
          return std::move(mk).error();
        } else {
          return Error(ErrorCode::kInternal, "vault_wrong_key", {{"path", path}});
        }
      }
    }
    RotateReport ignored;
    return Reseal(*conn, *v, *v, false, &ignored);
  }));
  // A stale <key>.new from a rotation that never committed.
  std::error_code ec;
  if (v->encrypted() && opts.key_hex.empty()) std::filesystem::remove(path + ".new", ec);
  return v;
}

Result<RotateReport> RotateKey(db::Database& db, const std::string& db_url,
                               const VaultOptions& opts, std::unique_ptr<vault::Vault>* current) {
  if (!(*current)->encrypted()) return InvalidArgument("vault_not_encrypted");
  if (!opts.key_hex.empty()) return InvalidArgument("vault_rotate_env");
  const std::string path = KeyFilePath(db_url, opts);
  std::string mk = vault::NewMasterKey();
  auto next = std::make_unique<vault::Vault>(vault::Vault::Encrypted(mk));
  DD_RETURN_IF_ERROR(vault::WriteKeyFile(path + ".new", mk));
  sodium_memzero(mk.data(), mk.size());
  RotateReport report;
  report.key_file = path;
  DD_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  auto st = db::WithTransaction(*conn, true, [&]() -> Status {
    DD_RETURN_IF_ERROR(Reseal(*conn, **current, *next, true, &report));
    DD_RETURN_IF_ERROR(conn->Exec("UPDATE vault_meta SET value = ? WHERE name = 'check'",
                                  {db::Value::Blob(next->Seal(kCheck))}));
    return {};
  });
  if (!st.ok()) {
    ::unlink((path + ".new").c_str());
    return std::move(st).error();
  }
  if (std::rename((path + ".new").c_str(), path.c_str()) != 0) {
    return InternalError("cannot rename " + path + ".new (the next start completes it)");
  }
  **current = *next;  // in place: services hold references to it
  return report;
}

}  // namespace dd::app
