#include "modules/lifecycle/lifecycle_routes.hpp"

#include "core/json_fields.hpp"

namespace dd::lifecycle {

using http::Response;
using nlohmann::json;

Result<Response> PostDeleteLeads(LifecycleService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  DD_ASSIGN_OR_RETURN(Selection sel, ParseDeleteRequest(body));
  DD_ASSIGN_OR_RETURN(json out, svc.Delete(ctx.actor_ref(), sel));
  return Response::Json(200, out);
}

Result<Response> GetBatchCounts(LifecycleService& svc, http::RouteContext& ctx) {
  (void)ctx;
  DD_ASSIGN_OR_RETURN(json out, svc.BatchCounts());
  return Response::Json(200, out);
}

Result<Response> ListBin(LifecycleService& svc, http::RouteContext& ctx) {
  BinQuery q;
  DD_ASSIGN_OR_RETURN(auto page, ctx.PositiveQueryInt("page"));
  DD_ASSIGN_OR_RETURN(auto size, ctx.PositiveQueryInt("page_size"));
  DD_ASSIGN_OR_RETURN(q.batch_id, ctx.PositiveQueryInt("batch_id"));
  if (page) q.page = static_cast<int>(std::min<int64_t>(*page, 1'000'000));
  if (size) q.page_size = static_cast<int>(std::min<int64_t>(*size, 200));
  DD_ASSIGN_OR_RETURN(json out, svc.ListBin(q));
  return Response::Json(200, out);
}

Result<Response> PostRestore(LifecycleService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  DD_ASSIGN_OR_RETURN(Selection sel, ParseBinRequest(body));
  DD_ASSIGN_OR_RETURN(json out, svc.Restore(ctx.actor_ref(), sel));
  return Response::Json(200, out);
}

Result<Response> PostClearBin(LifecycleService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  DD_ASSIGN_OR_RETURN(Selection sel, ParseBinRequest(body));
  DD_ASSIGN_OR_RETURN(PurgeCounts counts, svc.ClearBin(ctx.actor_ref(), sel));
  json out = counts.ToJson();
  out["vacuumed"] = counts.vacuumed;
  return Response::Json(200, out);
}

Result<Response> PutRetention(LifecycleService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(int64_t id, ctx.IdParam("id"));
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  if (!body.contains("retention_days")) {
    return InvalidArgument("missing_field", {{"field", "retention_days"}});
  }
  DD_ASSIGN_OR_RETURN(auto days, jsonf::OptionalInt(body, "retention_days"));
  DD_ASSIGN_OR_RETURN(json out, svc.SetRetention(ctx.actor_ref(), id, days));
  return Response::Json(200, out);
}

}  // namespace dd::lifecycle
