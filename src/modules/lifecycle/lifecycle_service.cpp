#include "modules/lifecycle/lifecycle_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "core/json_fields.hpp"
#include "modules/dealing/lead_queue.hpp"
#include "modules/intake/batch_keys.hpp"
#include "modules/intake/intake_service.hpp"

namespace dd::lifecycle {
namespace {

using nlohmann::json;

// The actor's department subtree (param: the actor's department id).
constexpr const char* kScopeCte =
    "WITH RECURSIVE sub(id) AS (SELECT id FROM departments WHERE id = ? "
    "UNION ALL SELECT d.id FROM departments d JOIN sub ON d.parent_id = sub.id) ";
// Leads a manager may delete: the pool and the leads of the agents of their
// subtree; admins: all (param: the scope name).
constexpr const char* kLeadScope =
    "(? = 'all' OR owner_id IS NULL OR owner_id IN "
    "(SELECT u.id FROM users u WHERE u.department_id IN (SELECT id FROM sub)))";
constexpr const char* kInBin = "deleted_at IS NOT NULL";
constexpr const char* kNotInBin = "deleted_at IS NULL";
constexpr const char* kOpenStates = "('assigned','retry','callback')";
constexpr int64_t kDay = 86400;
constexpr int64_t kChinaOffset = 8 * 3600;

std::string IdsJson(const std::vector<int64_t>& ids) { return json(ids).dump(); }

// The SQL condition (fixed text, never built from input) and parameters
// that pick the selected leads.
struct Filter {
  std::string sql;
  db::Params params;
};

Filter SelectionFilter(const Selection& s) {
  switch (s.kind) {
    case Selection::Kind::kIds: return {"id IN (SELECT value FROM json_each(?))", {IdsJson(s.ids)}};
    case Selection::Kind::kBatches:
      return {"batch_id IN (SELECT value FROM json_each(?))", {IdsJson(s.ids)}};
    case Selection::Kind::kCreatedRange:
      return {"created_at >= ? AND created_at < ?", {s.from, s.to}};
    case Selection::Kind::kAll: return {"1 = 1", {}};
  }
  return {"0 = 1", {}};
}

const char* KindName(Selection::Kind k) {
  switch (k) {
    case Selection::Kind::kIds: return "ids";
    case Selection::Kind::kBatches: return "batch";
    case Selection::Kind::kCreatedRange: return "created_range";
    case Selection::Kind::kAll: return "all";
  }
  return "ids";
}

// What an audit entry says about a selection (ids are counted, not listed).
json SelectionDetail(const Selection& s) {
  json d = {{"by", KindName(s.kind)}};
  switch (s.kind) {
    case Selection::Kind::kIds: d["lead_count"] = s.ids.size(); break;
    case Selection::Kind::kBatches: d["batch_ids"] = s.ids; break;
    case Selection::Kind::kCreatedRange:
      if (s.from != Selection::kMinTime) d["created_from"] = FormatIso8601(s.from);
      if (s.to != Selection::kMaxTime) d["created_before"] = FormatIso8601(s.to);
      break;
    case Selection::Kind::kAll: break;
  }
  return d;
}

std::string Target(const Selection& s) {
  if (s.kind == Selection::Kind::kBatches && s.ids.size() == 1)
    return "batch:" + std::to_string(s.ids[0]);
  return "leads";
}

db::Params Concat(std::initializer_list<const db::Params*> parts) {
  db::Params out;
  for (const auto* p : parts) out.insert(out.end(), p->begin(), p->end());
  return out;
}

// body[key] as a JSON array of positive integer ids: distinct and sorted,
// 1..kMaxIds of them.
Result<std::vector<int64_t>> IdList(const json& body, const char* key) {
  auto it = body.find(key);
  auto invalid = [key] { return InvalidArgument("invalid_field", {{"field", key}}); };
  if (it == body.end() || !it->is_array() || it->empty() || it->size() > Selection::kMaxIds) {
    return invalid();
  }
  std::vector<int64_t> ids;
  ids.reserve(it->size());
  for (const auto& v : *it) {
    if (!v.is_number_integer() || v.get<int64_t>() <= 0) return invalid();
    ids.push_back(v.get<int64_t>());
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

bool Present(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && !it->is_null();
}

}  // namespace

bool IsDeleteAllConfirmation(std::string_view typed) {
  while (!typed.empty() && (typed.front() == ' ' || typed.front() == '\t')) typed.remove_prefix(1);
  while (!typed.empty() && (typed.back() == ' ' || typed.back() == '\t')) typed.remove_suffix(1);
  return typed == kDeleteAllPhraseEn || typed == kDeleteAllPhraseZh;
}

std::optional<int64_t> ParseDay(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto num = [&](size_t pos, size_t len, int* out) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int y = 0, m = 0, d = 0;
  if (!num(0, 4, &y) || !num(5, 2, &m) || !num(8, 2, &d)) return std::nullopt;
  if (y < 1970 || m < 1 || m > 12 || d < 1) return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int max_day = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  if (d > max_day) return std::nullopt;
  return DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) * kDay - kChinaOffset;
}

Result<Selection> ParseDeleteRequest(const json& body) {
  DD_ASSIGN_OR_RETURN(auto all, jsonf::OptionalBool(body, "all"));
  const int selectors = Present(body, "lead_ids") + Present(body, "batch_id") +
                        Present(body, "batch_ids") +
                        (Present(body, "created_from") || Present(body, "created_to")) +
                        (all.value_or(false) ? 1 : 0);
  if (selectors != 1) return InvalidArgument("one_selector_required");
  Selection sel;
  if (all.value_or(false)) {
    DD_ASSIGN_OR_RETURN(auto confirm, jsonf::OptionalString(body, "confirm"));
    if (!confirm || !IsDeleteAllConfirmation(*confirm)) {
      return InvalidArgument("confirmation_required");
    }
    sel.kind = Selection::Kind::kAll;
    return sel;
  }
  if (Present(body, "lead_ids")) {
    DD_ASSIGN_OR_RETURN(sel.ids, IdList(body, "lead_ids"));
    sel.kind = Selection::Kind::kIds;
    return sel;
  }
  if (Present(body, "batch_id")) {
    DD_ASSIGN_OR_RETURN(auto id, jsonf::OptionalInt(body, "batch_id"));
    if (*id <= 0) return InvalidArgument("invalid_field", {{"field", "batch_id"}});
    sel.kind = Selection::Kind::kBatches;
    sel.ids = {*id};
    return sel;
  }
  if (Present(body, "batch_ids")) {
    DD_ASSIGN_OR_RETURN(sel.ids, IdList(body, "batch_ids"));
    sel.kind = Selection::Kind::kBatches;
    return sel;
  }
  sel.kind = Selection::Kind::kCreatedRange;
  for (const char* field : {"created_from", "created_to"}) {
    DD_ASSIGN_OR_RETURN(auto text, jsonf::OptionalString(body, field));
    if (!text) continue;
    auto day = ParseDay(*text);
    if (!day) return InvalidArgument("invalid_date", {{"field", field}});
    if (std::string_view(field) == "created_from") {
      sel.from = *day;
    } else {
      sel.to = *day + kDay;  // the whole last day
    }
  }
  if (sel.from >= sel.to) return InvalidArgument("invalid_date_range");
  return sel;
}

Result<Selection> ParseBinRequest(const json& body) {
  DD_ASSIGN_OR_RETURN(auto all, jsonf::OptionalBool(body, "all"));
  const int selectors = Present(body, "lead_ids") + (all.value_or(false) ? 1 : 0);
  if (selectors != 1) return InvalidArgument("bin_selector_required");
  Selection sel;
  if (all.value_or(false)) {
    sel.kind = Selection::Kind::kAll;
    return sel;
  }
  DD_ASSIGN_OR_RETURN(sel.ids, IdList(body, "lead_ids"));
  sel.kind = Selection::Kind::kIds;
  return sel;
}

json PurgeCounts::ToJson() const {
  return {{"leads", leads},
          {"call_log", call_log},
          {"batches", batches},
          {"import_rejects", import_rejects}};
}

PurgeCounts& PurgeCounts::operator+=(const PurgeCounts& o) {
  leads += o.leads;
  call_log += o.call_log;
  batches += o.batches;
  import_rejects += o.import_rejects;
  return *this;
}

// ---------------------------------------------------------------- the bin

Result<json> LifecycleService::Delete(const Actor& actor, const Selection& sel) {
  if (sel.kind == Selection::Kind::kAll && actor.scope() != Scope::kAll) {
    return Error(ErrorCode::kPermissionDenied, "delete_all_admin_only");
  }
  const Filter f = SelectionFilter(sel);
  const db::Params dept = {actor.department_id};
  const db::Params scope = {std::string(ScopeName(actor.scope()))};
  const int64_t now = clock_.Now();
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  int64_t deleted = 0, out_of_scope = 0;
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    if (sel.kind == Selection::Kind::kBatches) {
      DD_ASSIGN_OR_RETURN(
          auto found, conn->QueryOne("SELECT COUNT(*) FROM batches WHERE id IN (SELECT value FROM "
                                     "json_each(?))",
                                     {IdsJson(sel.ids)}));
      if (found->Int(0) != static_cast<int64_t>(sel.ids.size())) return NotFound("batch");
    }
    // Queued leads become their agents' own first: they are deleted (and
    // restored) as the agents' leads, and a manager's scope sees their owner.
    DD_ASSIGN_OR_RETURN(auto queued,
                        dealing::QueuedWhere(*conn, f.sql + " AND " + kNotInBin, f.params));
    DD_RETURN_IF_ERROR(dealing::Materialise(*conn, queued));
    if (sel.kind == Selection::Kind::kIds) {
      DD_ASSIGN_OR_RETURN(
          auto found, conn->QueryOne(std::string(kScopeCte) + "SELECT COUNT(*) FROM leads WHERE " +
                                         f.sql + " AND " + kNotInBin + " AND " + kLeadScope,
                                     Concat({&dept, &f.params, &scope})));
      const int64_t missing = static_cast<int64_t>(sel.ids.size()) - found->Int(0);
      if (missing > 0) {
        return Error(ErrorCode::kNotFound, "leads_not_found", {{"count", std::to_string(missing)}});
      }
    } else if (actor.scope() != Scope::kAll) {
      DD_ASSIGN_OR_RETURN(
          auto outside,
          conn->QueryOne(std::string(kScopeCte) + "SELECT COUNT(*) FROM leads WHERE " + f.sql +
                             " AND " + kNotInBin + " AND NOT " + kLeadScope,
                         Concat({&dept, &f.params, &scope})));
      out_of_scope = outside->Int(0);
    }
    const db::Params set = {now, actor.user_id > 0 ? db::Value(actor.user_id) : db::Value(),
                            actor.username};
    DD_ASSIGN_OR_RETURN(
        auto info,
        conn->Exec(std::string(kScopeCte) +
                       "UPDATE leads SET status = 'deleted', status_before_delete = status, "
                       "deleted_at = ?, deleted_by = ?, deleted_by_name = ?, current_agent_id = "
                       "NULL WHERE " +
                       f.sql + " AND " + kNotInBin + " AND " + kLeadScope,
                   Concat({&dept, &set, &f.params, &scope})));
    deleted = info.changes;
    json detail = SelectionDetail(sel);
    detail["deleted"] = deleted;
    if (out_of_scope > 0) detail["out_of_scope"] = out_of_scope;
    return audit_.Append(*conn, audit::Entry::By(actor, "leads.delete", Target(sel), detail));
  }));
  spdlog::info("event=leads_delete by={} deleted={} out_of_scope={} actor={}", KindName(sel.kind),
               deleted, out_of_scope, actor.username);
  return json{{"deleted", deleted}, {"out_of_scope", out_of_scope}};
}

Result<json> LifecycleService::ListBin(const BinQuery& q) {
  const int page_size = std::clamp(q.page_size, 1, 200);
  const int page = std::max(q.page, 1);
  const int64_t offset = static_cast<int64_t>(page - 1) * page_size;
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(auto total, conn->QueryOne("SELECT COUNT(*) FROM leads WHERE deleted_at IS "
                                                 "NOT NULL AND (? IS NULL OR batch_id = ?)",
                                                 {q.batch_id, q.batch_id}));
  DD_ASSIGN_OR_RETURN(
      auto rows,
      conn->Query("SELECT l.id, l.phone, l.name, l.batch_id, b.name, l.status_before_delete, "
                  "l.deleted_at, l.deleted_by_name, l.created_at, u.display_name, l.quality "
                  "FROM leads l JOIN batches b ON b.id = l.batch_id "
                  "LEFT JOIN users u ON u.id = l.owner_id "
                  "WHERE l.deleted_at IS NOT NULL AND (? IS NULL OR l.batch_id = ?) "
                  "ORDER BY l.deleted_at DESC, l.id DESC LIMIT ? OFFSET ?",
                  {q.batch_id, q.batch_id, page_size, offset}));
  json items = json::array();
  for (const auto& r : rows) {
    const std::string e164 = vault_.OpenLeadOr(r.Text(1)).phone;
    auto c = cleaner_.Clean(e164);
    std::string digits;
    for (char ch : c.phone ? c.phone->national : e164) {
      if (ch >= '0' && ch <= '9') digits += ch;
    }
    items.push_back({{"id", r.Int(0)},
                     {"phone_masked", intake::MaskDigits(digits)},
                     {"name", r.Text(2)},
                     {"batch_id", r.Int(3)},
                     {"batch_name", r.Text(4)},
                     {"status_before_delete", r.Text(5)},
                     {"deleted_at", FormatIso8601(r.Int(6))},
                     {"deleted_by", r.Text(7)},
                     {"created_at", FormatIso8601(r.Int(8))},
                     {"owner", r.IsNull(9) ? json(nullptr) : json(r.Text(9))},
                     {"quality", r.Text(10)}});
  }
  return json{{"items", items}, {"total", total->Int(0)}, {"page", page}, {"page_size", page_size}};
}

Result<json> LifecycleService::Restore(const Actor& actor, const Selection& sel) {
  if (sel.kind != Selection::Kind::kIds && sel.kind != Selection::Kind::kAll) {
    return InvalidArgument("bin_selector_required");
  }
  const Filter f = SelectionFilter(sel);
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  int64_t restored = 0, to_pool = 0;
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    if (sel.kind == Selection::Kind::kIds) {
      DD_ASSIGN_OR_RETURN(
          auto found,
          conn->QueryOne("SELECT COUNT(*) FROM leads WHERE " + f.sql + " AND " + kInBin, f.params));
      const int64_t missing = static_cast<int64_t>(sel.ids.size()) - found->Int(0);
      if (missing > 0) {
        return Error(ErrorCode::kNotFound, "bin_leads_not_found",
                     {{"count", std::to_string(missing)}});
      }
    }
    // Queued leads whose owner is no longer an active agent go to the pool.
    DD_ASSIGN_OR_RETURN(
        auto pool,
        conn->Exec("UPDATE leads SET status_before_delete = 'new', owner_id = NULL, queue_pos = 0, "
                   "next_call_at = NULL WHERE " +
                       f.sql + " AND " + kInBin + " AND status_before_delete IN " + kOpenStates +
                       " AND (owner_id IS NULL OR owner_id NOT IN (SELECT id FROM users WHERE "
                       "role = 'agent' AND active = 1))",
                   f.params));
    to_pool = pool.changes;
    DD_ASSIGN_OR_RETURN(
        auto info, conn->Exec("UPDATE leads SET status = COALESCE(status_before_delete, 'new'), "
                              "status_before_delete = NULL, deleted_at = NULL, deleted_by = NULL, "
                              "deleted_by_name = NULL WHERE " +
                                  f.sql + " AND " + kInBin,
                              f.params));
    restored = info.changes;
    json detail = SelectionDetail(sel);
    detail["restored"] = restored;
    if (to_pool > 0) detail["returned_to_pool"] = to_pool;
    return audit_.Append(*conn,
                         audit::Entry::By(actor, "recycle_bin.restore", "recycle_bin", detail));
  }));
  return json{{"restored", restored}, {"returned_to_pool", to_pool}};
}

// ---------------------------------------------------------------- purging

Result<PurgeCounts> LifecycleService::PurgeLocked(db::Connection& conn, const std::string& where,
                                                  const db::Params& params,
                                                  const std::vector<int64_t>& extra_batches,
                                                  bool strip_survivor_samples) {
  PurgeCounts c;
  std::set<int64_t> candidates(extra_batches.begin(), extra_batches.end());
  DD_ASSIGN_OR_RETURN(auto touched,
                      conn.Query("SELECT DISTINCT batch_id FROM leads WHERE " + where, params));
  for (const auto& r : touched) candidates.insert(r.Int(0));
  DD_ASSIGN_OR_RETURN(auto queued, dealing::QueuedWhere(conn, where, params));
  DD_RETURN_IF_ERROR(dealing::Drop(conn, queued));
  // And the stale queue rows the desk left for shown leads (lead_queue.hpp).
  DD_RETURN_IF_ERROR(conn.Exec(
      "DELETE FROM lead_queue WHERE lead_id IN (SELECT id FROM leads WHERE " + where + ")",
      params));
  DD_ASSIGN_OR_RETURN(
      auto calls,
      conn.Exec("DELETE FROM call_log WHERE lead_id IN (SELECT id FROM leads WHERE " + where + ")",
                params));
  c.call_log = calls.changes;
  DD_ASSIGN_OR_RETURN(auto leads, conn.Exec("DELETE FROM leads WHERE " + where, params));
  c.leads = leads.changes;
  // Rejected rows past their 24 hours are gone for everyone (they are
  // otherwise deleted only when someone asks for them).
  DD_ASSIGN_OR_RETURN(
      auto expired, conn.Exec("DELETE FROM import_rejects WHERE expires_at <= ?", {clock_.Now()}));
  c.import_rejects = expired.changes;
  if (candidates.empty()) return c;
  const std::string ids = json(std::vector<int64_t>(candidates.begin(), candidates.end())).dump();
  DD_ASSIGN_OR_RETURN(
      auto rejects,
      conn.Exec("DELETE FROM import_rejects WHERE batch_id IN (SELECT value FROM json_each(?)) "
                "AND NOT EXISTS (SELECT 1 FROM leads l WHERE l.batch_id = import_rejects.batch_id)",
                {ids}));
  c.import_rejects += rejects.changes;
  DD_ASSIGN_OR_RETURN(
      auto batches,
      conn.Exec("DELETE FROM batches WHERE id IN (SELECT value FROM json_each(?)) "
                "AND NOT EXISTS (SELECT 1 FROM leads l WHERE l.batch_id = batches.id)",
                {ids}));
  c.batches = batches.changes;
  // The surviving batches no longer hold the purged numbers.
  DD_RETURN_IF_ERROR(
      intake::MarkBatchKeysStale(conn, std::vector<int64_t>(candidates.begin(), candidates.end())));
  if (strip_survivor_samples) {
    // A batch kept for its prospects loses its rejected rows and the
    // samples of them in its stored report (names, masked numbers).
    DD_ASSIGN_OR_RETURN(auto kept,
                        conn.Query("SELECT id, report FROM batches WHERE id IN (SELECT value FROM "
                                   "json_each(?))",
                                   {ids}));
    for (const auto& r : kept) {
      DD_ASSIGN_OR_RETURN(auto gone,
                          conn.Exec("DELETE FROM import_rejects WHERE batch_id = ?", {r.Int(0)}));
      c.import_rejects += gone.changes;
      json report = json::parse(r.Text(1), nullptr, false);
      if (report.is_object() && report.contains("samples") && !report["samples"].empty()) {
        report["samples"] = json::array();
        DD_RETURN_IF_ERROR(
            conn.Exec("UPDATE batches SET report = ? WHERE id = ?", {report.dump(), r.Int(0)}));
      }
    }
  }
  return c;
}

bool LifecycleService::Compact() {
  auto conn = db_.Acquire();
  if (!conn.ok()) return false;
  if ((*conn)->dialect() != db::Dialect::kSqlite) return true;
  const auto started = std::chrono::steady_clock::now();
  if (auto v = (*conn)->Exec("VACUUM"); !v.ok()) {
    spdlog::warn("event=vacuum_failed internal=\"{}\"", v.error().internal);
    return false;
  }
  // TRUNCATE waits (busy handler) for writers and readers, copies every WAL
  // frame into the file and empties the WAL. Retry while others hold it.
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto row = (*conn)->QueryOne("PRAGMA wal_checkpoint(TRUNCATE)");
    if (row.ok() && *row && (*row)->Int(0) == 0) {
      spdlog::info("event=compacted ms={}", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::steady_clock::now() - started)
                                                .count());
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  spdlog::warn("event=checkpoint_busy");
  return false;
}

Result<PurgeCounts> LifecycleService::ClearBin(const Actor& actor, const Selection& sel) {
  if (sel.kind != Selection::Kind::kIds && sel.kind != Selection::Kind::kAll) {
    return InvalidArgument("bin_selector_required");
  }
  const Filter f = SelectionFilter(sel);
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  PurgeCounts counts;
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    const std::string where = f.sql + " AND " + kInBin;
    if (sel.kind == Selection::Kind::kIds) {
      DD_ASSIGN_OR_RETURN(auto found,
                          conn->QueryOne("SELECT COUNT(*) FROM leads WHERE " + where, f.params));
      const int64_t missing = static_cast<int64_t>(sel.ids.size()) - found->Int(0);
      if (missing > 0) {
        return Error(ErrorCode::kNotFound, "bin_leads_not_found",
                     {{"count", std::to_string(missing)}});
      }
    }
    DD_ASSIGN_OR_RETURN(counts, PurgeLocked(*conn, where, f.params, {}, false));
    json detail = SelectionDetail(sel);
    detail.update(counts.ToJson());
    return audit_.Append(*conn,
                         audit::Entry::By(actor, "recycle_bin.purge", "recycle_bin", detail));
  }));
  counts.vacuumed = Compact();
  spdlog::info("event=recycle_bin_purge leads={} call_log={} batches={} actor={}", counts.leads,
               counts.call_log, counts.batches, actor.username);
  return counts;
}

Result<PurgeCounts> LifecycleService::Purge(const Actor& actor, const Selection& sel) {
  const Filter f = SelectionFilter(sel);
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  PurgeCounts counts;
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    std::vector<int64_t> batches;
    switch (sel.kind) {
      case Selection::Kind::kIds: break;
      case Selection::Kind::kBatches: {
        DD_ASSIGN_OR_RETURN(auto found,
                            conn->QueryOne("SELECT COUNT(*) FROM batches WHERE id IN (SELECT "
                                           "value FROM json_each(?))",
                                           {IdsJson(sel.ids)}));
        if (found->Int(0) != static_cast<int64_t>(sel.ids.size())) return NotFound("batch");
        batches = sel.ids;
        break;
      }
      case Selection::Kind::kCreatedRange:
      case Selection::Kind::kAll: {
        // Batches imported in the range (or all) go too once they are empty.
        DD_ASSIGN_OR_RETURN(
            auto rows,
            conn->Query("SELECT id FROM batches WHERE created_at >= ? AND created_at < ?",
                        {sel.kind == Selection::Kind::kAll ? Selection::kMinTime : sel.from,
                         sel.kind == Selection::Kind::kAll ? Selection::kMaxTime : sel.to}));
        for (const auto& r : rows) batches.push_back(r.Int(0));
        break;
      }
    }
    DD_ASSIGN_OR_RETURN(counts, PurgeLocked(*conn, f.sql, f.params, batches, false));
    json detail = SelectionDetail(sel);
    detail.update(counts.ToJson());
    return audit_.Append(*conn, audit::Entry::By(actor, "purge", Target(sel), detail));
  }));
  counts.vacuumed = Compact();
  spdlog::info("event=purge by={} leads={} call_log={} batches={} import_rejects={} vacuumed={}",
               KindName(sel.kind), counts.leads, counts.call_log, counts.batches,
               counts.import_rejects, counts.vacuumed);
  return counts;
}

// ---------------------------------------------------------------- retention

Result<json> LifecycleService::RunRetention() {
  const int64_t now = clock_.Now();
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(auto expired,
                      conn->Query("SELECT id, name, retention_days, created_at FROM batches "
                                  "WHERE retention_days > 0 AND created_at + retention_days * ? "
                                  "<= ? ORDER BY id",
                                  {kDay, now}));
  PurgeCounts total;
  json per_batch = json::array();
  if (!expired.empty()) {
    DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
      for (const auto& b : expired) {
        const int64_t id = b.Int(0);
        DD_ASSIGN_OR_RETURN(PurgeCounts c,
                            PurgeLocked(*conn,
                                        "batch_id = ? AND status <> 'prospect' AND "
                                        "COALESCE(status_before_delete, '') <> 'prospect'",
                                        {id}, {id}, true));
        total += c;
        if (c.leads == 0 && c.batches == 0) continue;
        DD_ASSIGN_OR_RETURN(auto kept,
                            conn->QueryOne("SELECT COUNT(*) FROM leads WHERE batch_id = ?", {id}));
        per_batch.push_back({{"batch_id", id},
                             {"name", b.Text(1)},
                             {"retention_days", b.Int(2)},
                             {"imported_at", FormatIso8601(b.Int(3))},
                             {"leads", c.leads},
                             {"call_log", c.call_log},
                             {"kept_prospects", kept->Int(0)},
                             {"batch_removed", c.batches > 0}});
      }
      if (per_batch.empty()) return {};
      audit::Entry e;
      e.actor = "system";
      e.action = "retention.purge";
      e.target = "batches";
      e.detail = total.ToJson();
      e.detail["expired_batches"] = per_batch;
      return audit_.Append(*conn, e);
    }));
  }
  if (!per_batch.empty()) {
    total.vacuumed = Compact();
    spdlog::info("event=retention_purge batches={} leads={} call_log={} vacuumed={}",
                 per_batch.size(), total.leads, total.call_log, total.vacuumed);
  }
  json out = total.ToJson();
  out["expired_batches"] = per_batch;
  return out;
}

Result<json> LifecycleService::SetRetention(const Actor& actor, int64_t batch_id,
                                            std::optional<int64_t> days) {
  if (days && (*days < 0 || *days > 36500)) {
    return InvalidArgument("invalid_field", {{"field", "retention_days"}});
  }
  const std::optional<int64_t> value =
      days && *days > 0 ? days : std::optional<int64_t>(std::nullopt);
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  json out;
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    DD_ASSIGN_OR_RETURN(
        auto row,
        conn->QueryOne("SELECT retention_days, created_at FROM batches WHERE id = ?", {batch_id}));
    if (!row) return NotFound("batch");
    DD_RETURN_IF_ERROR(
        conn->Exec("UPDATE batches SET retention_days = ? WHERE id = ?", {value, batch_id}));
    out = {{"id", batch_id},
           {"retention_days", value ? json(*value) : json(nullptr)},
           {"purge_at", value ? json(FormatIso8601(row->Int(1) + *value * kDay)) : json(nullptr)}};
    return audit_.Append(
        *conn, audit::Entry::By(actor, "batch.retention", "batch:" + std::to_string(batch_id),
                                {{"from", row->IsNull(0) ? json(nullptr) : json(row->Int(0))},
                                 {"to", value ? json(*value) : json(nullptr)}}));
  }));
  return out;
}

Result<json> LifecycleService::BatchCounts() {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  // Two index-only passes: all leads per batch (leads_batch) and the bin
  // (leads_deleted), rather than a scan of every row.
  DD_ASSIGN_OR_RETURN(auto all,
                      conn->Query("SELECT batch_id, COUNT(*) FROM leads GROUP BY batch_id"));
  DD_ASSIGN_OR_RETURN(auto bin, conn->Query("SELECT batch_id, COUNT(*) FROM leads WHERE "
                                            "deleted_at IS NOT NULL GROUP BY batch_id"));
  std::map<int64_t, int64_t> deleted;
  for (const auto& r : bin) deleted[r.Int(0)] = r.Int(1);
  json items = json::array();
  for (const auto& r : all) {
    auto it = deleted.find(r.Int(0));
    items.push_back({{"batch_id", r.Int(0)},
                     {"leads", r.Int(1)},
                     {"deleted", it == deleted.end() ? 0 : it->second}});
  }
  return json{{"items", items}};
}

}  // namespace dd::lifecycle
