// HTTP handlers of the public pool (公海): the managers' overview, lists,
// recycling run and locks (permission `pool`), and the agent's own expiring
// prospects (permission `desk`).
#pragma once

#include "http/router.hpp"
#include "modules/pool/pool_service.hpp"

namespace dd::pool {

// GET /pool: counts only.
Result<http::Response> GetOverview(PoolService& svc, http::RouteContext& ctx);
// GET /pool/leads?state=expiring|locked&page=&page_size=
Result<http::Response> ListHeld(PoolService& svc, http::RouteContext& ctx);
// POST /pool/recycle: runs the rules now (audited).
Result<http::Response> PostRecycle(PoolService& svc, http::RouteContext& ctx);
// POST /pool/lock, POST /pool/unlock {"lead_ids": [..]}
Result<http::Response> PostLock(PoolService& svc, http::RouteContext& ctx, bool locked);
// GET /desk/expiring: the agent's own prospects about to be recycled.
Result<http::Response> GetExpiring(PoolService& svc, http::RouteContext& ctx);

}  // namespace dd::pool
