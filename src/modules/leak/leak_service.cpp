#include "modules/leak/leak_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/crypto.hpp"
#include "core/i18n.hpp"
#include "core/timezone.hpp"
#include "modules/dealing/lead_queue.hpp"
#include "modules/leak/leak_guard.hpp"
#include "modules/leak/xlsx_export.hpp"

namespace dd::leak {
namespace {

using nlohmann::json;

constexpr const char* kScopeCte =
    "WITH RECURSIVE sub(id) AS (SELECT id FROM departments WHERE id = ? "
    "UNION ALL SELECT d.id FROM departments d JOIN sub ON d.parent_id = sub.id) ";
constexpr int64_t kChinaOffsetS = 8 * 3600;
constexpr int64_t kExportPage = 1000;
constexpr size_t kMaxAttributeColumns = 100;

// "2026-11-23 10:00:00 +08:00" (China time, for people reading the file).
std::string ChinaTime(int64_t t) {
  std::string s = FormatIso8601(t + kChinaOffsetS);  // "...T..:..:..Z"
  if (s.size() >= 20) {
    s[10] = ' ';
    s.pop_back();
  }
  return s + " +08:00";
}

constexpr std::string_view kAlertColumns =
    "a.id, a.kind, a.agent_id, u.username, u.display_name, a.detail, a.created_at, "
    "a.acknowledged_by_name, a.acknowledged_at, u.department_id";

json AlertJson(const db::Row& r) {
  json detail = json::parse(r.Text(5), nullptr, false);
  return {{"id", r.Int(0)},
          {"kind", r.Text(1)},
          {"agent_id", r.Int(2)},
          {"agent_username", r.Text(3)},
          {"agent_name", r.Text(4)},
          {"department_id", r.IsNull(9) ? json(nullptr) : json(r.Int(9))},
          {"detail", detail.is_object() ? detail : json::object()},
          {"created_at", FormatIso8601(r.Int(6))},
          {"acknowledged", !r.IsNull(8)},
          {"acknowledged_by", r.IsNull(7) ? json(nullptr) : json(r.Text(7))},
          {"acknowledged_at", r.IsNull(8) ? json(nullptr) : json(FormatIso8601(r.Int(8)))}};
}

// Translation of `prefix + value`, or the value itself when there is none.
std::string Label(const std::string& lang, const std::string& prefix, const std::string& value) {
  if (value.empty()) return "";
  const std::string key = prefix + value;
  std::string t = i18n::Translate(lang, key);
  return t == key ? value : t;
}

}  // namespace

// ---------------------------------------------------------------- alerts

Result<json> LeakService::ListAlerts(const Actor& actor, const AlertFilter& f) {
  const int limit = std::clamp(f.limit, 1, 500);
  const std::string scope(ScopeName(actor.scope()));
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  const std::string where =
      "FROM alerts a JOIN users u ON u.id = a.agent_id "
      "WHERE (? = 'all' OR u.department_id IN (SELECT id FROM sub)) ";
  DD_ASSIGN_OR_RETURN(
      auto rows,
      conn->Query(std::string(kScopeCte) + "SELECT " + std::string(kAlertColumns) + " " + where +
                      "AND (? = 0 OR a.acknowledged_at IS NULL) AND (? = '' OR a.kind = ?) "
                      "AND (? IS NULL OR a.agent_id = ?) AND (? IS NULL OR a.id < ?) "
                      "ORDER BY a.id DESC LIMIT ?",
                  {actor.department_id, scope, f.open_only ? 1 : 0, f.kind, f.kind, f.agent_id,
                   f.agent_id, f.before_id, f.before_id, limit}));
  DD_ASSIGN_OR_RETURN(auto open, conn->QueryOne(std::string(kScopeCte) + "SELECT COUNT(*) " +
                                                    where + "AND a.acknowledged_at IS NULL",
                                                {actor.department_id, scope}));
  json items = json::array();
  for (const auto& r : rows) items.push_back(AlertJson(r));
  return json{{"items", items}, {"open_count", open->Int(0)}};
}

Result<json> LeakService::AckAlert(const Actor& actor, int64_t id) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  json out;
  const std::string sql = std::string(kScopeCte) + "SELECT " + std::string(kAlertColumns) +
                          " FROM alerts a JOIN users u ON u.id = a.agent_id WHERE a.id = ? "
                          "AND (? = 'all' OR u.department_id IN (SELECT id FROM sub))";
  const db::Params params = {actor.department_id, id, ScopeName(actor.scope())};
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    DD_ASSIGN_OR_RETURN(auto row, conn->QueryOne(sql, params));
    if (!row) return NotFound("alert");
    if (!row->IsNull(8)) {  // already acknowledged: nothing changes
      out = AlertJson(*row);
      return {};
    }
    const int64_t now = clock_.Now();
    DD_RETURN_IF_ERROR(conn->Exec(
        "UPDATE alerts SET acknowledged_by = ?, acknowledged_by_name = ?, acknowledged_at = ? "
        "WHERE id = ?",
        {actor.user_id > 0 ? db::Value(actor.user_id) : db::Value(), actor.username, now, id}));
    DD_RETURN_IF_ERROR(audit_.Append(
        *conn, audit::Entry::By(actor, "alert.ack", "alert:" + std::to_string(id),
                                {{"kind", row->Text(1)}, {"agent_id", row->Int(2)}})));
    DD_ASSIGN_OR_RETURN(auto again, conn->QueryOne(sql, params));
    out = AlertJson(*again);
    return {};
  }));
  return out;
}

// ---------------------------------------------------------------- unmask

Result<json> LeakService::Unmask(const Actor& agent, int64_t lead_id) {
  DD_ASSIGN_OR_RETURN(auto values, settings_.Values());
  const Limits limits = Limits::From(values);
  if (!limits.masked) return Error(ErrorCode::kConflict, "desk_not_masked");
  const int64_t now = clock_.Now();
  const int64_t day = tz::DayStart("Asia/Shanghai", now);
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  json out;
  std::optional<Error> refused;  // committed first (its alert), then returned
  DD_RETURN_IF_ERROR(db::WithGroupedTransaction(*conn, [&]() -> Status {
    DD_ASSIGN_OR_RETURN(
        auto lead,
        conn->QueryOne(
            "SELECT phone, current_agent_id, owner_id, alternates FROM leads WHERE id = ?",
            {lead_id}));
    if (!lead || lead->OptInt(1) != agent.user_id || lead->OptInt(2) != agent.user_id) {
      return Error(ErrorCode::kConflict, "not_current_lead");
    }
    DD_ASSIGN_OR_RETURN(auto seen,
                        conn->QueryOne("SELECT 1 FROM desk_unmasks WHERE agent_id = ? AND "
                                       "lead_id = ? AND at >= ? LIMIT 1",
                                       {agent.user_id, lead_id, day}));
    DD_ASSIGN_OR_RETURN(auto used,
                        conn->QueryOne("SELECT COUNT(DISTINCT lead_id) FROM desk_unmasks WHERE "
                                       "agent_id = ? AND at >= ?",
                                       {agent.user_id, day}));
    int64_t count = used->Int(0);
    if (!seen) {
      if (limits.unmask_budget <= 0) return Error(ErrorCode::kPermissionDenied, "unmask_disabled");
      if (count >= limits.unmask_budget) {
        DD_ASSIGN_OR_RETURN(bool alerted,
                            AlertSince(*conn, agent.user_id, kAlertUnmaskBudget, day));
        if (!alerted) {
          DD_ASSIGN_OR_RETURN(int64_t id, RaiseAlert(*conn, audit_, agent, kAlertUnmaskBudget,
                                                     {{"budget", limits.unmask_budget}}, now));
          (void)id;
        }
        Error e(ErrorCode::kRateLimited, "unmask_budget_exceeded",
                {{"budget", std::to_string(limits.unmask_budget)}});
        e.retry_after_s = static_cast<int>(std::max<int64_t>(1, day + 86400 - now));
        refused = std::move(e);
        return {};
      }
      ++count;
    }
    DD_RETURN_IF_ERROR(
        conn->Exec("INSERT INTO desk_unmasks (agent_id, lead_id, at) VALUES (?, ?, ?)",
                   {agent.user_id, lead_id, now}));
    DD_RETURN_IF_ERROR(audit_.Append(
        *conn, audit::Entry::By(agent, "lead.unmask", "lead:" + std::to_string(lead_id),
                                {{"counted", !seen}})));
    // The lead's other numbers (备用号码) are revealed with it: one lead, one count.
    const auto secrets = vault_.OpenLeadOr(lead->Text(0), lead->Text(3));
    const std::string& phone = secrets.phone;
    auto c = cleaner_.Clean(phone);
    out = {{"lead_id", lead_id},
           {"phone", phone},
           {"phone_display", c.phone ? c.phone->display : phone},
           {"alternates", DeskAlternates(cleaner_, secrets.alternates)},
           {"unmask_left", std::max<int64_t>(0, limits.unmask_budget - count)}};
    return {};
  }));
  if (refused) return std::move(*refused);
  return out;
}

// ---------------------------------------------------------------- export

Result<ExportFile> LeakService::ExportBatch(const Actor& actor, int64_t batch_id,
                                            const std::string& lang) {
  DD_ASSIGN_OR_RETURN(int64_t max_rows, settings_.GetInt("export_max_rows"));
  if (max_rows <= 0) return Error(ErrorCode::kPermissionDenied, "export_disabled");
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(auto batch,
                      conn->QueryOne("SELECT name FROM batches WHERE id = ?", {batch_id}));
  if (!batch) return NotFound("batch");
  const std::string scope(ScopeName(actor.scope()));
  // Leads of the batch in scope (not those in the recycle bin): admins all;
  // managers those owned by users of their department subtree.
  // A lead still waiting in an agent's queue is that agent's, 'assigned'.
  const std::string owner = dealing::OwnerOf("l", "q");
  const std::string in_scope =
      "FROM leads l " + dealing::QueueJoin("l", "q") + " LEFT JOIN users u ON u.id = " + owner +
      " WHERE l.batch_id = ? AND l.status <> 'deleted' AND (? = 'all' OR " + owner +
      " IN (SELECT x.id FROM users x WHERE x.department_id IN (SELECT id FROM sub))) ";
  DD_ASSIGN_OR_RETURN(auto total_row,
                      conn->QueryOne(std::string(kScopeCte) + "SELECT COUNT(*) " + in_scope,
                                     {actor.department_id, batch_id, scope}));
  const int64_t total = total_row->Int(0);
  const std::string page_sql = std::string(kScopeCte) +
                               "SELECT l.id, l.name, l.phone, l.region, l.carrier, l.quality, "
                               "CASE WHEN q.lead_id IS NULL THEN l.status ELSE 'assigned' END, "
                               "u.display_name, l.last_outcome, l.attributes " +
                               in_scope + "AND l.id > ? ORDER BY l.id LIMIT ?";
  auto page = [&](int64_t after, int64_t n) {
    return conn->Query(page_sql, {actor.department_id, batch_id, scope, after, n});
  };
  DD_ASSIGN_OR_RETURN(auto rows, page(0, std::min(max_rows, kExportPage)));

  // The extra columns of the file, in the order of the first page's leads
  // (a batch comes from one file, so they share their columns).
  std::vector<std::string> attr_keys;
  for (const auto& r : rows) {
    json a = json::parse(vault_.OpenLeadOr(r.Text(2), {}, r.Text(9)).attributes, nullptr, false);
    if (!a.is_object()) continue;
    for (auto& [k, v] : a.items()) {
      (void)v;
      if (attr_keys.size() < kMaxAttributeColumns &&
          std::find(attr_keys.begin(), attr_keys.end(), k) == attr_keys.end()) {
        attr_keys.push_back(k);
      }
    }
  }

  const int64_t now = clock_.Now();
  const std::string when = ChinaTime(now);
  const std::string export_id = crypto::RandomToken(8);
  const std::string batch_name = batch->Text(0);
  const std::map<std::string, std::string> args = {
      {"user", actor.username}, {"time", when}, {"batch", batch_name}, {"id", export_id}};
  Watermark wm;
  wm.title = i18n::Translate(lang, "export.title", args);
  wm.author = actor.username;
  wm.banner = i18n::Translate(lang, "export.banner", args);
  wm.comments = wm.banner;
  wm.keywords = "dialdeck export " + actor.username + " " + FormatIso8601(now);
  wm.header = i18n::Translate(lang, "export.header", args);
  wm.footer = i18n::Translate(lang, "export.footer", args);
  wm.custom = {{"exported_by", actor.username},
               {"exported_at", FormatIso8601(now)},
               {"export_id", export_id},
               {"batch_id", std::to_string(batch_id)}};
  std::vector<std::string> columns;
  for (const char* c :
       {"id", "name", "phone", "region", "carrier", "quality", "status", "owner", "last_outcome"}) {
    columns.push_back(i18n::Translate(lang, std::string("export.col.") + c));
  }
  columns.insert(columns.end(), attr_keys.begin(), attr_keys.end());
  DD_ASSIGN_OR_RETURN(auto xlsx, XlsxExport::Create(wm, "leads", columns));

  int64_t written = 0;
  std::vector<std::string> cells;
  while (!rows.empty() && written < max_rows) {
    int64_t last_id = 0;
    for (const auto& r : rows) {
      if (written >= max_rows) break;
      cells.clear();
      const auto secrets = vault_.OpenLeadOr(r.Text(2), {}, r.Text(9));
      const std::string& phone = secrets.phone;
      auto c = cleaner_.Clean(phone);
      cells.push_back(std::to_string(r.Int(0)));
      cells.push_back(r.Text(1));
      cells.push_back(c.phone ? c.phone->display : phone);
      cells.push_back(r.Text(3));
      cells.push_back(r.Text(4));
      cells.push_back(r.Text(5));
      cells.push_back(Label(lang, "export.status.", r.Text(6)));
      cells.push_back(r.Text(7));
      cells.push_back(Label(lang, "export.outcome.", r.Text(8)));
      json a = json::parse(secrets.attributes, nullptr, false);
      for (const auto& k : attr_keys) {
        auto it = a.is_object() ? a.find(k) : a.end();
        if (!a.is_object() || it == a.end()) {
          cells.emplace_back();
        } else {
          cells.push_back(it->is_string() ? it->get<std::string>() : it->dump());
        }
      }
      xlsx->AddRow(cells);
      ++written;
      last_id = r.Int(0);
    }
    if (static_cast<int64_t>(rows.size()) < kExportPage || written >= max_rows) break;
    DD_ASSIGN_OR_RETURN(rows, page(last_id, std::min(max_rows - written, kExportPage)));
  }
  DD_ASSIGN_OR_RETURN(std::string bytes, xlsx->Finish());
  xlsx.reset();

  ExportFile f;
  f.bytes = std::move(bytes);
  f.rows = written;
  f.total = total;
  f.truncated = written < total;
  f.filename = "batch-" + std::to_string(batch_id) + "-export.xlsx";
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    return audit_.Append(*conn,
                         audit::Entry::By(actor, "lead.export", "batch:" + std::to_string(batch_id),
                                          {{"rows", f.rows},
                                           {"total", f.total},
                                           {"truncated", f.truncated},
                                           {"max_rows", max_rows},
                                           {"format", "xlsx"},
                                           {"export_id", export_id}}));
  }));
  spdlog::info("event=export batch={} user={} rows={} total={}", batch_id, actor.username, f.rows,
               f.total);
  return f;
}

}  // namespace dd::leak
