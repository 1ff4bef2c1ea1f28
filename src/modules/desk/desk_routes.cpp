#include "modules/desk/desk_routes.hpp"

#include "core/json_fields.hpp"

namespace dd::desk {

using http::Response;
using nlohmann::json;

Result<Response> GetDesk(DeskService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json out, svc.Current(ctx.actor_ref()));
  return Response::Json(200, out);
}

namespace {

Result<OutcomeRequest> ParseOutcome(http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  OutcomeRequest req;
  auto id = body.find("lead_id");
  if (id == body.end() || !id->is_number_integer())
    return InvalidArgument("missing_field", {{"field", "lead_id"}});
  req.lead_id = id->get<int64_t>();
  DD_ASSIGN_OR_RETURN(req.outcome, jsonf::RequiredString(body, "outcome"));
  DD_ASSIGN_OR_RETURN(auto note, jsonf::OptionalString(body, "note"));
  req.note = note.value_or("");
  DD_ASSIGN_OR_RETURN(auto rid, jsonf::OptionalString(body, "request_id"));
  req.request_id = rid.value_or("");
  DD_ASSIGN_OR_RETURN(auto cb, jsonf::OptionalString(body, "callback_at"));
  if (cb && !cb->empty()) {
    req.callback_at = ParseIso8601(*cb);
    if (!req.callback_at) return InvalidArgument("invalid_field", {{"field", "callback_at"}});
  }
  return req;
}

}  // namespace

std::optional<Result<Response>> TryPostOutcome(DeskService& svc, http::RouteContext& ctx) {
  auto req = ParseOutcome(ctx);
  if (!req.ok()) return Result<Response>(std::move(req).error());
  if (auto fast = svc.TryOutcome(ctx.actor_ref(), *req, /*may_wait=*/false))
    return Result<Response>(Response::JsonText(200, std::move(*fast)));
  return std::nullopt;
}

Result<Response> PostOutcome(DeskService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(OutcomeRequest req, ParseOutcome(ctx));
  if (auto fast = svc.TryOutcome(ctx.actor_ref(), req, /*may_wait=*/true))
    return Response::JsonText(200, std::move(*fast));
  DD_ASSIGN_OR_RETURN(json out, svc.Outcome(ctx.actor_ref(), req));
  return Response::Json(200, out);
}

Result<Response> PostPull(DeskService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json out, svc.Pull(ctx.actor_ref()));
  return Response::Json(200, out);
}

Result<Response> PostFollowUp(DeskService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  auto id = body.find("lead_id");
  if (id == body.end() || !id->is_number_integer())
    return InvalidArgument("missing_field", {{"field", "lead_id"}});
  DD_ASSIGN_OR_RETURN(json out, svc.FollowUp(ctx.actor_ref(), id->get<int64_t>()));
  return Response::Json(200, out);
}

}  // namespace dd::desk
