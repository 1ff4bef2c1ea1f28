// Deleting and purging leads: the recycle bin (回收站), purging for good
// (彻底删除) and retention (保留期限 / 定时自焚).
//
// - Delete moves leads to the recycle bin: the row stays, with status
//   'deleted' (so the desk, dealing and pulls skip it), who deleted it, when,
//   and its status before. Managers delete leads of their scope (the pool and
//   the leads of their department subtree's agents); only admins delete
//   everything, list the bin, restore and clear it.
// - Clearing the bin, the CLI purge and the retention purge destroy leads for
//   good: their call log goes with them, and a batch left without leads goes
//   with its (masked) rejected rows. Afterwards the SQLite file is vacuumed and
//   the WAL checkpointed and truncated, so with `secure_delete` no copy of a
//   purged number is left in the .db or -wal file. Numbers on the do-not-call
//   list stay there on purpose (they must never be called).
// - Retention: a batch's leads are purged `retention_days` days after its
//   import, except those that became an agent's prospects (status 'prospect',
//   also when they wait in the bin). RunRetention() is called by the server's
//   scheduler.
//
// Every change runs in one write transaction together with its audit entry
// (counts only, never a number). Thread-safe: share one instance.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/vault.hpp"
#include "db/database.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/phone/phone_cleaner.hpp"

namespace dd::lifecycle {

// Which leads an action applies to.
struct Selection {
  enum class Kind { kIds, kBatches, kCreatedRange, kAll };
  Kind kind = Kind::kIds;
  std::vector<int64_t> ids;  // kIds: lead ids; kBatches: batch ids (distinct, sorted)
  int64_t from = kMinTime;   // kCreatedRange: created_at in [from, to)
  int64_t to = kMaxTime;

  static constexpr int64_t kMinTime = INT64_MIN;
  static constexpr int64_t kMaxTime = INT64_MAX;
  static constexpr size_t kMaxIds = 10000;
};

// The typed confirmation for deleting every lead.
inline constexpr std::string_view kDeleteAllPhraseEn = "DELETE ALL";
inline constexpr std::string_view kDeleteAllPhraseZh = "删除全部线索";
bool IsDeleteAllConfirmation(std::string_view typed);

// "2026-11-23" -> Unix time of 00:00 that day in China time (UTC+8);
// nullopt unless it is a real calendar date in that exact form.
std::optional<int64_t> ParseDay(std::string_view s);

// The body of POST /leads/delete: exactly one of
//   {"lead_ids": [..]}, {"batch_id": n}, {"batch_ids": [..]},
//   {"created_from": "YYYY-MM-DD", "created_to": "YYYY-MM-DD"} (either or both; inclusive days),
//   {"all": true, "confirm": "DELETE ALL" | "删除全部线索"}.
// Errors: one_selector_required, invalid_field, invalid_date, invalid_date_range,
// confirmation_required.
Result<Selection> ParseDeleteRequest(const nlohmann::json& body);

// The body of restore/purge in the recycle bin: {"lead_ids": [..]} or {"all": true}.
Result<Selection> ParseBinRequest(const nlohmann::json& body);

// What a purge destroyed.
struct PurgeCounts {
  int64_t leads = 0;
  int64_t call_log = 0;
  int64_t batches = 0;
  int64_t import_rejects = 0;
  bool vacuumed = false;  // the file was compacted afterwards (not part of ToJson)

  nlohmann::json ToJson() const;  // {"leads", "call_log", "batches", "import_rejects"}
  PurgeCounts& operator+=(const PurgeCounts& o);
};

struct BinQuery {
  int page = 1;        // 1-based
  int page_size = 50;  // 1..200
  std::optional<int64_t> batch_id;
};

class LifecycleService {
 public:
  LifecycleService(db::Database& db, const Clock& clock, const audit::AuditLog& audit,
                   const phone::PhoneCleaner& cleaner, const vault::Vault& vault)
      : db_(db), clock_(clock), audit_(audit), cleaner_(cleaner), vault_(vault) {}

  // Moves the selected leads that are not in the bin yet and are in the
  // actor's scope to the recycle bin: {"deleted": n, "out_of_scope": m}.
  // Errors: leads_not_found (some of the lead ids are unknown, in the bin
  // already or out of scope; nothing changes), not_found (a batch id),
  // delete_all_admin_only.
  Result<nlohmann::json> Delete(const Actor& actor, const Selection& sel);

  // The bin, newest first: {"items": [...], "total", "page", "page_size"};
  // numbers masked (138****5678).
  Result<nlohmann::json> ListBin(const BinQuery& q);

  // Puts leads back as they were: {"restored": n}. A lead whose owner is no
  // longer an active agent goes back to the pool. Selection: kIds or kAll.
  // Errors: bin_leads_not_found (some ids are not in the bin; nothing changes).
  Result<nlohmann::json> Restore(const Actor& actor, const Selection& sel);

  // Clears leads of the bin for good. Selection: kIds or kAll.
  Result<PurgeCounts> ClearBin(const Actor& actor, const Selection& sel);

  // Destroys leads for good without the bin (`dialdeck purge`): every lead
  // of the batches (which go too), created before a day (and the batches
  // imported before it that are left empty), or everything.
  // Errors: not_found (a batch id).
  Result<PurgeCounts> Purge(const Actor& actor, const Selection& sel);

  // Purges the leads of batches whose retention has ended, except prospects,
  // and audits `retention.purge` with the counts per batch (only when it
  // destroyed something). {"leads", "call_log", "batches", "import_rejects",
  // "expired_batches": [...]}.
  Result<nlohmann::json> RunRetention();

  // Sets a batch's retention (nullopt or 0: keep). {"id", "retention_days", "purge_at"}.
  Result<nlohmann::json> SetRetention(const Actor& actor, int64_t batch_id,
                                      std::optional<int64_t> days);

  // Per batch: the leads it still holds and how many of them are in the bin.
  // {"items": [{"batch_id", "leads", "deleted"}]}
  Result<nlohmann::json> BatchCounts();

 private:
  // Inside a write transaction: deletes the leads matching the filter, their
  // call log, and the candidate batches left without leads.
  Result<PurgeCounts> PurgeLocked(db::Connection& conn, const std::string& where,
                                  const db::Params& params,
                                  const std::vector<int64_t>& extra_batches,
                                  bool keep_nonempty_reports);
  // VACUUM, then a TRUNCATE checkpoint of the WAL (SQLite). False when the
  // database stayed busy (the data is deleted, but old pages may remain).
  bool Compact();

  db::Database& db_;
  const Clock& clock_;
  const audit::AuditLog& audit_;
  const phone::PhoneCleaner& cleaner_;
  const vault::Vault& vault_;  // numbers may be stored sealed (encryption at rest)
};

}  // namespace dd::lifecycle
