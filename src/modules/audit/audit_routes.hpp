// HTTP handlers for the audit viewer (admins): list and verify the chain.
#pragma once

#include "db/database.hpp"
#include "http/router.hpp"
#include "modules/audit/audit_log.hpp"

namespace dd::audit {

Result<http::Response> ListAudit(db::Database& db, const AuditLog& log, http::RouteContext& ctx);
Result<http::Response> VerifyAudit(db::Database& db, const AuditLog& log, http::RouteContext& ctx);

nlohmann::json VerifyReportJson(const VerifyReport& r);

}  // namespace dd::audit
