// HTTP handlers of the agent's desk.
#pragma once

#include "http/router.hpp"
#include "modules/desk/desk_service.hpp"

namespace dd::desk {

Result<http::Response> GetDesk(DeskService& svc, http::RouteContext& ctx);
Result<http::Response> PostOutcome(DeskService& svc, http::RouteContext& ctx);
// The same on the I/O thread when the fast path can answer (nullopt: it cannot).
std::optional<Result<http::Response>> TryPostOutcome(DeskService& svc, http::RouteContext& ctx);
Result<http::Response> PostPull(DeskService& svc, http::RouteContext& ctx);
// POST /desk/follow-up {"lead_id"}: one of the agent's own prospects onto the desk.
Result<http::Response> PostFollowUp(DeskService& svc, http::RouteContext& ctx);

}  // namespace dd::desk
