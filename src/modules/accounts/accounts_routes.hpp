// HTTP handlers for sessions, the current user, users, departments and the
// audit trail: parse -> one service call -> JSON. Permissions are declared in
// src/app/routes.cpp, not here.
#pragma once

#include "http/router.hpp"
#include "modules/accounts/accounts_service.hpp"

namespace dd::accounts {

nlohmann::json UserJson(const User& u);
nlohmann::json DepartmentJson(const Department& d);

Result<http::Response> PostSession(AccountsService& svc, http::RouteContext& ctx, bool tls);
Result<http::Response> DeleteSession(AccountsService& svc, http::RouteContext& ctx, bool tls);
Result<http::Response> GetMe(AccountsService& svc, http::RouteContext& ctx);
Result<http::Response> PutMyPassword(AccountsService& svc, http::RouteContext& ctx);
Result<http::Response> ListUsers(AccountsService& svc, http::RouteContext& ctx);
Result<http::Response> CreateUser(AccountsService& svc, http::RouteContext& ctx);
Result<http::Response> PatchUser(AccountsService& svc, http::RouteContext& ctx);
Result<http::Response> ListDepartments(AccountsService& svc, http::RouteContext& ctx);
Result<http::Response> CreateDepartment(AccountsService& svc, http::RouteContext& ctx);
Result<http::Response> PatchDepartment(AccountsService& svc, http::RouteContext& ctx);
Result<http::Response> DeleteDepartment(AccountsService& svc, http::RouteContext& ctx);

}  // namespace dd::accounts
