// HTTP handlers of the leak controls: alerts (managers, admins), unmasking on
// the masked desk (agents) and the watermarked batch export (export permission).
#pragma once

#include "http/router.hpp"
#include "modules/leak/leak_service.hpp"

namespace dd::leak {

Result<http::Response> ListAlerts(LeakService& svc, http::RouteContext& ctx);
Result<http::Response> AckAlert(LeakService& svc, http::RouteContext& ctx);
Result<http::Response> PostUnmask(LeakService& svc, http::RouteContext& ctx);
Result<http::Response> ExportBatch(LeakService& svc, http::RouteContext& ctx);

}  // namespace dd::leak
