#include "modules/audit/audit_routes.hpp"

#include "modules/desk/desk_service.hpp"  // ParseIso8601

namespace dd::audit {

using nlohmann::json;

nlohmann::json VerifyReportJson(const VerifyReport& r) {
  return {{"ok", r.ok},
          {"checked", r.checked},
          {"first_broken_id", r.first_broken_id ? json(*r.first_broken_id) : json(nullptr)},
          {"problem", r.problem.empty() ? json(nullptr) : json(r.problem)}};
}

Result<http::Response> ListAudit(db::Database& db, const AuditLog& log, http::RouteContext& ctx) {
  ListFilter f;
  if (auto l = ctx.QueryInt("limit")) f.limit = static_cast<int>(std::clamp<int64_t>(*l, 1, 500));
  f.before_id = ctx.QueryInt("before_id");
  f.action = ctx.req.QueryParam("action");
  f.actor = ctx.req.QueryParam("actor");
  f.target = ctx.req.QueryParam("target");
  // from / to: Unix seconds, ISO 8601 ("2026-11-23T10:00:00+08:00"; no zone:
  // China time) or a day "2026-11-23" (China time; `to` then includes the day).
  auto time_param = [&](const char* name, bool end_of_day) -> Result<std::optional<int64_t>> {
    const std::string v = ctx.req.QueryParam(name);
    if (v.empty()) return std::optional<int64_t>();
    if (auto n = ctx.QueryInt(name)) return std::optional<int64_t>(*n);
    if (v.size() == 10) {
      if (auto t = desk::ParseIso8601(v + "T00:00:00+08:00")) {
        return std::optional<int64_t>(*t + (end_of_day ? 86400 : 0));
      }
    }
    if (auto t = desk::ParseIso8601(v)) return std::optional<int64_t>(*t);
    return InvalidArgument("invalid_field", {{"field", name}});
  };
  DD_ASSIGN_OR_RETURN(f.from, time_param("from", false));
  DD_ASSIGN_OR_RETURN(f.to, time_param("to", true));
  DD_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  DD_ASSIGN_OR_RETURN(auto entries, log.List(*conn, f));
  json items = json::array();
  for (const auto& e : entries) {
    json detail = json::parse(e.detail, nullptr, false);
    items.push_back({{"id", e.id},
                     {"at", FormatIso8601(e.at)},
                     {"actor", e.actor},
                     {"actor_id", e.actor_id ? json(*e.actor_id) : json(nullptr)},
                     {"action", e.action},
                     {"target", e.target},
                     {"ip", e.ip},
                     {"detail", detail.is_discarded() ? json(e.detail) : detail}});
  }
  // Paging: pass next_before_id as before_id for the next (older) page.
  const bool full = static_cast<int>(entries.size()) >= std::clamp(f.limit, 1, 500);
  return http::Response::Json(
      200,
      {{"items", items},
       {"next_before_id", full && !entries.empty() ? json(entries.back().id) : json(nullptr)}});
}

Result<http::Response> VerifyAudit(db::Database& db, const AuditLog& log, http::RouteContext& ctx) {
  (void)ctx;
  DD_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  DD_ASSIGN_OR_RETURN(auto report, log.Verify(*conn));
  return http::Response::Json(200, VerifyReportJson(report));
}

}  // namespace dd::audit
