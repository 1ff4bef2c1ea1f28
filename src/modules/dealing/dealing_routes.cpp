#include "modules/dealing/dealing_routes.hpp"

#include <charconv>

#include "core/json_fields.hpp"

namespace dd::dealing {

using http::Response;
using nlohmann::json;

namespace {
Result<std::vector<int64_t>> IdArray(const json& body, const char* key) {
  std::vector<int64_t> out;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) return InvalidArgument("invalid_field", {{"field", key}});
  for (const auto& v : *it) {
    if (!v.is_number_integer()) return InvalidArgument("invalid_field", {{"field", key}});
    out.push_back(v.get<int64_t>());
  }
  return out;
}

Result<std::optional<double>> OptNumber(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<double>();
  if (!it->is_number()) return InvalidArgument("invalid_field", {{"field", key}});
  return std::optional<double>(it->get<double>());
}
}  // namespace

Result<DealRequest> ParseDealRequest(const json& body) {
  DealRequest r;
  DD_ASSIGN_OR_RETURN(r.batch_ids, IdArray(body, "batch_ids"));
  DD_ASSIGN_OR_RETURN(r.agent_ids, IdArray(body, "agent_ids"));
  DD_ASSIGN_OR_RETURN(auto pool, jsonf::OptionalBool(body, "pool"));
  r.pool = pool.value_or(false);
  DD_ASSIGN_OR_RETURN(auto strategy, jsonf::OptionalString(body, "strategy"));
  r.strategy = strategy.value_or("even");
  DD_ASSIGN_OR_RETURN(r.department_id, jsonf::OptionalInt(body, "department_id"));
  // A recorded seed (as printed in a deal report) reproduces that deal.
  if (auto it = body.find("seed"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return InvalidArgument("invalid_field", {{"field", "seed"}});
    const std::string s = it->get<std::string>();
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
      return InvalidArgument("invalid_field", {{"field", "seed"}});
    }
    r.seed = v;
  }
  return r;
}

Result<Response> ListLevels(DealingService& svc, http::RouteContext& ctx) {
  (void)ctx;
  DD_ASSIGN_OR_RETURN(json out, svc.ListLevels());
  return Response::Json(200, out);
}

Result<Response> CreateLevel(DealingService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  DD_ASSIGN_OR_RETURN(std::string name, jsonf::RequiredString(body, "name"));
  DD_ASSIGN_OR_RETURN(auto weight, OptNumber(body, "weight"));
  DD_ASSIGN_OR_RETURN(json out, svc.SetLevel(ctx.actor_ref(), name, weight.value_or(1)));
  return Response::Json(201, out);
}

Result<Response> PatchLevel(DealingService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(int64_t id, ctx.IdParam("id"));
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  DD_ASSIGN_OR_RETURN(auto name, jsonf::OptionalString(body, "name"));
  DD_ASSIGN_OR_RETURN(auto weight, OptNumber(body, "weight"));
  DD_ASSIGN_OR_RETURN(json out, svc.UpdateLevel(ctx.actor_ref(), id, name, weight));
  return Response::Json(200, out);
}

Result<Response> DeleteLevel(DealingService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(int64_t id, ctx.IdParam("id"));
  DD_RETURN_IF_ERROR(svc.DeleteLevel(ctx.actor_ref(), id));
  return Response::NoContent();
}

Result<Response> ListAgents(DealingService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json out, svc.ListAgents(ctx.actor_ref()));
  return Response::Json(200, out);
}

Result<Response> PatchAgent(DealingService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(int64_t id, ctx.IdParam("id"));
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  std::optional<std::string> level;
  if (body.contains("level")) {
    if (body["level"].is_null()) {
      level = "";
    } else if (body["level"].is_string()) {
      level = body["level"].get<std::string>();
    } else {
      return InvalidArgument("invalid_field", {{"field", "level"}});
    }
  }
  std::optional<std::optional<double>> weight;
  if (body.contains("weight")) {
    DD_ASSIGN_OR_RETURN(auto w, OptNumber(body, "weight"));
    weight = w;
  }
  DD_ASSIGN_OR_RETURN(auto status, jsonf::OptionalString(body, "agent_status"));
  DD_ASSIGN_OR_RETURN(json out, svc.UpdateAgent(ctx.actor_ref(), id, level, weight, status));
  return Response::Json(200, out);
}

Result<Response> RecallAgent(DealingService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(int64_t id, ctx.IdParam("id"));
  json body = json::object();
  if (!ctx.req.body.empty()) {
    DD_ASSIGN_OR_RETURN(body, ctx.JsonBody());
  }
  DD_ASSIGN_OR_RETURN(auto redeal, jsonf::OptionalBool(body, "redeal"));
  DD_ASSIGN_OR_RETURN(json out, svc.Recall(ctx.actor_ref(), id, redeal.value_or(false), ctx.lang));
  return Response::Json(200, out);
}

Result<Response> PostDeal(DealingService& svc, http::RouteContext& ctx, bool commit) {
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  DD_ASSIGN_OR_RETURN(DealRequest req, ParseDealRequest(body));
  DD_ASSIGN_OR_RETURN(json out, svc.Deal(ctx.actor_ref(), req, commit, ctx.lang));
  return Response::Json(commit ? 201 : 200, out);
}

Result<Response> ListDeals(DealingService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json out, svc.ListDeals(ctx.actor_ref()));
  return Response::Json(200, out);
}

Result<Response> GetDeal(DealingService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(int64_t id, ctx.IdParam("id"));
  DD_ASSIGN_OR_RETURN(json out, svc.GetDeal(ctx.actor_ref(), id));
  return Response::Json(200, out);
}

}  // namespace dd::dealing
