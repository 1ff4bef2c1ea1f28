// HTTP handlers for levels, agents and deals (managers and admins).
#pragma once

#include "http/router.hpp"
#include "modules/dealing/dealing_service.hpp"

namespace dd::dealing {

Result<http::Response> ListLevels(DealingService& svc, http::RouteContext& ctx);
Result<http::Response> CreateLevel(DealingService& svc, http::RouteContext& ctx);
Result<http::Response> PatchLevel(DealingService& svc, http::RouteContext& ctx);
Result<http::Response> DeleteLevel(DealingService& svc, http::RouteContext& ctx);
Result<http::Response> ListAgents(DealingService& svc, http::RouteContext& ctx);
Result<http::Response> PatchAgent(DealingService& svc, http::RouteContext& ctx);
Result<http::Response> RecallAgent(DealingService& svc, http::RouteContext& ctx);
Result<http::Response> PostDeal(DealingService& svc, http::RouteContext& ctx, bool commit);
Result<http::Response> ListDeals(DealingService& svc, http::RouteContext& ctx);
Result<http::Response> GetDeal(DealingService& svc, http::RouteContext& ctx);

// The request body of a deal, shared with the CLI.
Result<DealRequest> ParseDealRequest(const nlohmann::json& body);

}  // namespace dd::dealing
