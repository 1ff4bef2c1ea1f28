// The route table: every HTTP route of Dialdeck and the permission it needs,
// in one place. Handlers live in src/modules/<name>/<name>_routes.cpp.
#include "app/app.hpp"
#include "modules/accounts/accounts_routes.hpp"
#include "modules/audit/audit_routes.hpp"
#include "modules/dealing/dealing_routes.hpp"
#include "modules/desk/desk_routes.hpp"
#include "modules/intake/intake_routes.hpp"
#include "modules/leak/leak_routes.hpp"
#include "modules/lifecycle/lifecycle_routes.hpp"
#include "modules/pool/pool_routes.hpp"

namespace dd::app {

std::vector<http::Route> App::Routes() {
  using P = Permission;
  using http::RouteContext;
  auto& acc = *accounts_;
  auto& db = *db_;
  auto& audit = *audit_;
  const bool tls = opts_.tls;
  auto& in = *intake_;
  auto& st = *settings_;
  auto& dl = *dealing_;
  auto& dk = *desk_;
  auto& lc = *lifecycle_;
  auto& lk = *leak_;
  auto& pl = *pool_;
  const size_t upload = opts_.upload_body_limit;
  namespace a = accounts;
  return {
      // method, path, permission, body limit (0: JSON default), handler
      {"GET", "/healthz", P::kPublic, 0,
       [&db](RouteContext&) -> Result<http::Response> {
         DD_ASSIGN_OR_RETURN(auto conn, db.Acquire());
         DD_ASSIGN_OR_RETURN(auto row, conn->QueryOne("SELECT 1"));
         (void)row;
         return http::Response::Json(200, {{"status", "ok"}});
       },
       /*quick=*/true},
      {"POST", "/api/v1/session", P::kPublic, 0,
       [&acc, tls](RouteContext& c) { return a::PostSession(acc, c, tls); }},
      {"DELETE", "/api/v1/session", P::kSelf, 0,
       [&acc, tls](RouteContext& c) { return a::DeleteSession(acc, c, tls); }},
      {"GET", "/api/v1/me", P::kSelf, 0, [&acc](RouteContext& c) { return a::GetMe(acc, c); }},
      {"PUT", "/api/v1/me/password", P::kSelf, 0,
       [&acc](RouteContext& c) { return a::PutMyPassword(acc, c); }},
      {"GET", "/api/v1/users", P::kUsersRead, 0,
       [&acc](RouteContext& c) { return a::ListUsers(acc, c); }},
      {"POST", "/api/v1/users", P::kUsersWrite, 0,
       [&acc](RouteContext& c) { return a::CreateUser(acc, c); }},
      {"PATCH", "/api/v1/users/{id}", P::kUsersWrite, 0,
       [&acc](RouteContext& c) { return a::PatchUser(acc, c); }},
      {"GET", "/api/v1/departments", P::kDepartmentsRead, 0,
       [&acc](RouteContext& c) { return a::ListDepartments(acc, c); }},
      {"POST", "/api/v1/departments", P::kDepartmentsWrite, 0,
       [&acc](RouteContext& c) { return a::CreateDepartment(acc, c); }},
      {"PATCH", "/api/v1/departments/{id}", P::kDepartmentsWrite, 0,
       [&acc](RouteContext& c) { return a::PatchDepartment(acc, c); }},
      {"DELETE", "/api/v1/departments/{id}", P::kDepartmentsWrite, 0,
       [&acc](RouteContext& c) { return a::DeleteDepartment(acc, c); }},
      {"GET", "/api/v1/audit", P::kAuditRead, 0,
       [&db, &audit](RouteContext& c) { return audit::ListAudit(db, audit, c); }},
      {"POST", "/api/v1/audit/verify", P::kAuditRead, 0,
       [&db, &audit](RouteContext& c) { return audit::VerifyAudit(db, audit, c); }},
      // Lead intake (uploads take the upload body limit)
      {"POST", "/api/v1/imports/preview", P::kLeadsImport, upload,
       [&in](RouteContext& c) { return intake::PreviewImport(in, c); }},
      {"POST", "/api/v1/imports", P::kLeadsImport, upload,
       [&in](RouteContext& c) { return intake::PostImport(in, c); }},
      {"GET", "/api/v1/imports/progress/{progress_id}", P::kLeadsImport, 0,
       [&in](RouteContext& c) { return intake::GetImportProgress(in, c); }},
      {"GET", "/api/v1/batches", P::kLeadsImport, 0,
       [&in](RouteContext& c) { return intake::ListBatches(in, c); }},
      {"GET", "/api/v1/batches/{id}", P::kLeadsImport, 0,
       [&in](RouteContext& c) { return intake::GetBatch(in, c); }},
      {"GET", "/api/v1/batches/{id}/rejects.xlsx", P::kLeadsImport, 0,
       [&in](RouteContext& c) { return intake::GetRejects(in, c); }},
      {"GET", "/api/v1/dnc", P::kDncManage, 0,
       [&in](RouteContext& c) { return intake::ListDnc(in, c); }},
      {"POST", "/api/v1/dnc", P::kDncManage, 0,
       [&in](RouteContext& c) { return intake::AddDnc(in, c); }},
      {"DELETE", "/api/v1/dnc/{id}", P::kDncManage, 0,
       [&in](RouteContext& c) { return intake::RemoveDnc(in, c); }},
      {"POST", "/api/v1/dnc/import", P::kDncManage, upload,
       [&in](RouteContext& c) { return intake::ImportDnc(in, c); }},
      // Settings
      {"GET", "/api/v1/settings", P::kSettingsRead, 0,
       [&st](RouteContext& c) { return intake::ListSettings(st, c); }},
      {"PUT", "/api/v1/settings/{key}", P::kSettingsWrite, 0,
       [&st](RouteContext& c) { return intake::PutSetting(st, c); }},
      // The desk (agents only; no list, search or count route exists for them)
      {"GET", "/api/v1/desk", P::kDesk, 0, [&dk](RouteContext& c) { return desk::GetDesk(dk, c); }},
      {"POST", "/api/v1/desk/outcome", P::kDesk, 0,
       [&dk](RouteContext& c) { return desk::PostOutcome(dk, c); }, false,
       // Answered on the I/O thread when the desk's fast path can.
       [&dk](RouteContext& c) { return desk::TryPostOutcome(dk, c); }},
      {"POST", "/api/v1/desk/pull", P::kDesk, 0,
       [&dk](RouteContext& c) { return desk::PostPull(dk, c); }},
      // Dealing, agents and levels
      {"POST", "/api/v1/deals/preview", P::kDeal, 0,
       [&dl](RouteContext& c) { return dealing::PostDeal(dl, c, false); }},
      {"POST", "/api/v1/deals", P::kDeal, 0,
       [&dl](RouteContext& c) { return dealing::PostDeal(dl, c, true); }},
      {"GET", "/api/v1/deals", P::kDeal, 0,
       [&dl](RouteContext& c) { return dealing::ListDeals(dl, c); }},
      {"GET", "/api/v1/deals/{id}", P::kDeal, 0,
       [&dl](RouteContext& c) { return dealing::GetDeal(dl, c); }},
      {"GET", "/api/v1/agents", P::kDeal, 0,
       [&dl](RouteContext& c) { return dealing::ListAgents(dl, c); }},
      {"PATCH", "/api/v1/agents/{id}", P::kDeal, 0,
       [&dl](RouteContext& c) { return dealing::PatchAgent(dl, c); }},
      {"POST", "/api/v1/agents/{id}/recall", P::kDeal, 0,
       [&dl](RouteContext& c) { return dealing::RecallAgent(dl, c); }},
      {"GET", "/api/v1/levels", P::kDeal, 0,
       [&dl](RouteContext& c) { return dealing::ListLevels(dl, c); }},
      {"POST", "/api/v1/levels", P::kLevelsWrite, 0,
       [&dl](RouteContext& c) { return dealing::CreateLevel(dl, c); }},
      {"PATCH", "/api/v1/levels/{id}", P::kLevelsWrite, 0,
       [&dl](RouteContext& c) { return dealing::PatchLevel(dl, c); }},
      {"DELETE", "/api/v1/levels/{id}", P::kLevelsWrite, 0,
       [&dl](RouteContext& c) { return dealing::DeleteLevel(dl, c); }},
      // Deleting (to the recycle bin: managers, admins), the bin and retention (admins)
      {"POST", "/api/v1/leads/delete", P::kLeadsDelete, 0,
       [&lc](RouteContext& c) { return lifecycle::PostDeleteLeads(lc, c); }},
      {"GET", "/api/v1/leads/by-batch", P::kLeadsDelete, 0,
       [&lc](RouteContext& c) { return lifecycle::GetBatchCounts(lc, c); }},
      {"GET", "/api/v1/recycle-bin", P::kLeadsPurge, 0,
       [&lc](RouteContext& c) { return lifecycle::ListBin(lc, c); }},
      {"POST", "/api/v1/recycle-bin/restore", P::kLeadsPurge, 0,
       [&lc](RouteContext& c) { return lifecycle::PostRestore(lc, c); }},
      {"POST", "/api/v1/recycle-bin/purge", P::kLeadsPurge, 0,
       [&lc](RouteContext& c) { return lifecycle::PostClearBin(lc, c); }},
      {"PUT", "/api/v1/batches/{id}/retention", P::kLeadsPurge, 0,
       [&lc](RouteContext& c) { return lifecycle::PutRetention(lc, c); }},
      // Leak controls: unmasking on the masked desk, alerts, watermarked exports
      {"POST", "/api/v1/desk/unmask", P::kDesk, 0,
       [&lk](RouteContext& c) { return leak::PostUnmask(lk, c); }},
      {"GET", "/api/v1/alerts", P::kAlerts, 0,
       [&lk](RouteContext& c) { return leak::ListAlerts(lk, c); }},
      {"POST", "/api/v1/alerts/{id}/ack", P::kAlerts, 0,
       [&lk](RouteContext& c) { return leak::AckAlert(lk, c); }},
      {"GET", "/api/v1/batches/{id}/export.xlsx", P::kExport, 0,
       [&lk](RouteContext& c) { return leak::ExportBatch(lk, c); }},
      // The public pool (公海): overview, lists, recycling and locks (managers,
      // admins; agents get 403), and the agent's own warnings and follow-ups.
      {"GET", "/api/v1/pool", P::kPool, 0,
       [&pl](RouteContext& c) { return pool::GetOverview(pl, c); }},
      {"GET", "/api/v1/pool/leads", P::kPool, 0,
       [&pl](RouteContext& c) { return pool::ListHeld(pl, c); }},
      {"POST", "/api/v1/pool/recycle", P::kPool, 0,
       [&pl](RouteContext& c) { return pool::PostRecycle(pl, c); }},
      {"POST", "/api/v1/pool/lock", P::kPool, 0,
       [&pl](RouteContext& c) { return pool::PostLock(pl, c, true); }},
      {"POST", "/api/v1/pool/unlock", P::kPool, 0,
       [&pl](RouteContext& c) { return pool::PostLock(pl, c, false); }},
      {"GET", "/api/v1/desk/expiring", P::kDesk, 0,
       [&pl](RouteContext& c) { return pool::GetExpiring(pl, c); }},
      {"POST", "/api/v1/desk/follow-up", P::kDesk, 0,
       [&dk](RouteContext& c) { return desk::PostFollowUp(dk, c); }},
  };
}

}  // namespace dd::app
