#include "modules/leak/leak_routes.hpp"

#include <algorithm>
#include <optional>

namespace dd::leak {

using http::Response;
using nlohmann::json;

Result<Response> ListAlerts(LeakService& svc, http::RouteContext& ctx) {
  AlertFilter f;
  const std::string open = ctx.req.QueryParam("open");
  f.open_only = open == "1" || open == "true";
  f.kind = ctx.req.QueryParam("kind");
  f.agent_id = ctx.QueryInt("agent_id");
  f.before_id = ctx.QueryInt("before_id");
  if (auto l = ctx.QueryInt("limit")) f.limit = static_cast<int>(std::clamp<int64_t>(*l, 1, 500));
  DD_ASSIGN_OR_RETURN(json out, svc.ListAlerts(ctx.actor_ref(), f));
  return Response::Json(200, out);
}

Result<Response> AckAlert(LeakService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(int64_t id, ctx.IdParam("id"));
  DD_ASSIGN_OR_RETURN(json out, svc.AckAlert(ctx.actor_ref(), id));
  return Response::Json(200, out);
}

Result<Response> PostUnmask(LeakService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  auto id = body.find("lead_id");
  if (id == body.end() || !id->is_number_integer())
    return InvalidArgument("missing_field", {{"field", "lead_id"}});
  DD_ASSIGN_OR_RETURN(json out, svc.Unmask(ctx.actor_ref(), id->get<int64_t>()));
  Response r = Response::Json(200, out);
  return r;
}

Result<Response> ExportBatch(LeakService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(int64_t id, ctx.IdParam("id"));
  DD_ASSIGN_OR_RETURN(ExportFile f, svc.ExportBatch(ctx.actor_ref(), id, ctx.lang));
  Response r;
  r.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  r.body = std::move(f.bytes);
  r.SetHeader("Content-Disposition", "attachment; filename=\"" + f.filename + "\"");
  r.SetHeader("X-Export-Rows", std::to_string(f.rows));
  r.SetHeader("X-Export-Total", std::to_string(f.total));
  r.SetHeader("X-Export-Truncated", f.truncated ? "true" : "false");
  return r;
}

}  // namespace dd::leak
