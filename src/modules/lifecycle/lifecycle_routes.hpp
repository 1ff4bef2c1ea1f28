// HTTP handlers for deleting leads (managers and admins), the recycle bin
// and batch retention (admins).
#pragma once

#include "http/router.hpp"
#include "modules/lifecycle/lifecycle_service.hpp"

namespace dd::lifecycle {

// POST /leads/delete: to the recycle bin.
Result<http::Response> PostDeleteLeads(LifecycleService& svc, http::RouteContext& ctx);
// GET /leads/by-batch: leads held and in the bin, per batch.
Result<http::Response> GetBatchCounts(LifecycleService& svc, http::RouteContext& ctx);
// GET /recycle-bin?page=&page_size=&batch_id=
Result<http::Response> ListBin(LifecycleService& svc, http::RouteContext& ctx);
// POST /recycle-bin/restore, POST /recycle-bin/purge
Result<http::Response> PostRestore(LifecycleService& svc, http::RouteContext& ctx);
Result<http::Response> PostClearBin(LifecycleService& svc, http::RouteContext& ctx);
// PUT /batches/{id}/retention {"retention_days": n | null}
Result<http::Response> PutRetention(LifecycleService& svc, http::RouteContext& ctx);

}  // namespace dd::lifecycle
