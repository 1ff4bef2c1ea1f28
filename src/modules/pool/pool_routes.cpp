#include "modules/pool/pool_routes.hpp"

namespace dd::pool {

using http::Response;
using nlohmann::json;

Result<Response> GetOverview(PoolService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json out, svc.Overview(ctx.actor_ref()));
  return Response::Json(200, out);
}

Result<Response> ListHeld(PoolService& svc, http::RouteContext& ctx) {
  HeldQuery q;
  const std::string state = ctx.req.QueryParam("state");
  if (!state.empty()) q.state = state;
  DD_ASSIGN_OR_RETURN(auto page, ctx.PositiveQueryInt("page"));
  DD_ASSIGN_OR_RETURN(auto size, ctx.PositiveQueryInt("page_size"));
  if (page) q.page = static_cast<int>(std::min<int64_t>(*page, 1'000'000));
  if (size) q.page_size = static_cast<int>(std::min<int64_t>(*size, 200));
  DD_ASSIGN_OR_RETURN(json out, svc.ListHeld(ctx.actor_ref(), q));
  return Response::Json(200, out);
}

Result<Response> PostRecycle(PoolService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json out, svc.Run(&ctx.actor_ref()));
  return Response::Json(200, out);
}

Result<Response> PostLock(PoolService& svc, http::RouteContext& ctx, bool locked) {
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  auto it = body.find("lead_ids");
  if (it == body.end() || !it->is_array()) {
    return InvalidArgument("missing_field", {{"field", "lead_ids"}});
  }
  std::vector<int64_t> ids;
  for (const auto& v : *it) {
    if (!v.is_number_integer()) return InvalidArgument("invalid_field", {{"field", "lead_ids"}});
    ids.push_back(v.get<int64_t>());
  }
  DD_ASSIGN_OR_RETURN(json out, svc.SetLocked(ctx.actor_ref(), ids, locked));
  return Response::Json(200, out);
}

Result<Response> GetExpiring(PoolService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json out, svc.Expiring(ctx.actor_ref()));
  return Response::Json(200, out);
}

}  // namespace dd::pool
