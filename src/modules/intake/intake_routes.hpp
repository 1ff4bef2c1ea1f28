// HTTP handlers for lead intake, batches, the do-not-call list and settings.
// Uploads are parsed in place from the request body, which is wiped
// (overwritten with zeros) before the handler returns: burn after upload.
#pragma once

#include "http/router.hpp"
#include "modules/intake/intake_service.hpp"
#include "modules/settings/settings.hpp"

namespace dd::intake {

Result<http::Response> PreviewImport(IntakeService& svc, http::RouteContext& ctx);
Result<http::Response> PostImport(IntakeService& svc, http::RouteContext& ctx);
Result<http::Response> GetImportProgress(IntakeService& svc, http::RouteContext& ctx);
Result<http::Response> ListBatches(IntakeService& svc, http::RouteContext& ctx);
Result<http::Response> GetBatch(IntakeService& svc, http::RouteContext& ctx);
Result<http::Response> GetRejects(IntakeService& svc, http::RouteContext& ctx);
Result<http::Response> ListDnc(IntakeService& svc, http::RouteContext& ctx);
Result<http::Response> AddDnc(IntakeService& svc, http::RouteContext& ctx);
Result<http::Response> RemoveDnc(IntakeService& svc, http::RouteContext& ctx);
Result<http::Response> ImportDnc(IntakeService& svc, http::RouteContext& ctx);

Result<http::Response> ListSettings(settings::Settings& s, http::RouteContext& ctx);
Result<http::Response> PutSetting(settings::Settings& s, http::RouteContext& ctx);

}  // namespace dd::intake
