#include "modules/accounts/accounts_routes.hpp"

#include "core/clock.hpp"
#include "core/json_fields.hpp"

namespace dd::accounts {

using http::Response;
using nlohmann::json;

json UserJson(const User& u) {
  return {
      {"id", u.id},
      {"username", u.username},
      {"display_name", u.display_name},
      {"role", RoleName(u.role)},
      {"department_id", u.department_id ? json(*u.department_id) : json(nullptr)},
      {"department_name", u.department_name ? json(*u.department_name) : json(nullptr)},
      {"active", u.active},
      {"must_change_password", u.must_change_password},
      {"created_at", FormatIso8601(u.created_at)},
  };
}

json DepartmentJson(const Department& d) {
  return {{"id", d.id},
          {"code", d.code},
          {"name", d.name},
          {"parent_id", d.parent_id ? json(*d.parent_id) : json(nullptr)},
          {"created_at", FormatIso8601(d.created_at)}};
}

Result<Response> PostSession(AccountsService& svc, http::RouteContext& ctx, bool tls) {
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  DD_ASSIGN_OR_RETURN(std::string username, jsonf::RequiredString(body, "username"));
  DD_ASSIGN_OR_RETURN(std::string password, jsonf::RequiredString(body, "password"));
  if (username.size() > 64 || password.size() > 1024) {
    return Error(ErrorCode::kUnauthenticated, "invalid_credentials");
  }
  DD_ASSIGN_OR_RETURN(LoginResult r, svc.Login(username, password, ctx.req.remote_ip,
                                               std::string(ctx.req.Header("user-agent"))));
  Response res = Response::Json(200, {{"user", UserJson(r.user)}, {"csrf_token", r.csrf_token}});
  res.SetHeader("Set-Cookie",
                http::SessionCookie(r.session_token, svc.policy().session_absolute_s, tls));
  return res;
}

Result<Response> DeleteSession(AccountsService& svc, http::RouteContext& ctx, bool tls) {
  DD_RETURN_IF_ERROR(svc.Logout(ctx.actor_ref()));
  Response res = Response::NoContent();
  res.SetHeader("Set-Cookie", http::SessionCookie("", 0, tls));
  return res;
}

Result<Response> GetMe(AccountsService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(User u, svc.GetUser(ctx.actor_ref().user_id));
  // The user's fields at the top level, and the login answer's shape beside
  // them ("user", "csrf_token") so a reloaded page recovers its CSRF token.
  json out = UserJson(u);
  out["user"] = UserJson(u);
  out["csrf_token"] = ctx.actor_ref().via_cookie ? json(ctx.actor_ref().csrf_token) : json(nullptr);
  out["scope"] = ScopeName(ctx.actor_ref().scope());
  return Response::Json(200, out);
}

Result<Response> PutMyPassword(AccountsService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  DD_ASSIGN_OR_RETURN(std::string current, jsonf::RequiredString(body, "current_password"));
  DD_ASSIGN_OR_RETURN(std::string next, jsonf::RequiredString(body, "new_password"));
  DD_RETURN_IF_ERROR(svc.ChangePassword(ctx.actor_ref(), current, next));
  return Response::NoContent();
}

Result<Response> ListUsers(AccountsService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(auto users, svc.ListUsers(ctx.actor_ref()));
  json items = json::array();
  for (const auto& u : users) items.push_back(UserJson(u));
  return Response::Json(200, {{"items", items}});
}

Result<Response> CreateUser(AccountsService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  NewUser u;
  DD_ASSIGN_OR_RETURN(u.username, jsonf::RequiredString(body, "username"));
  DD_ASSIGN_OR_RETURN(auto display, jsonf::OptionalString(body, "display_name"));
  u.display_name = display.value_or("");
  DD_ASSIGN_OR_RETURN(u.role, jsonf::RequiredString(body, "role"));
  DD_ASSIGN_OR_RETURN(u.department_id, jsonf::OptionalInt(body, "department_id"));
  DD_ASSIGN_OR_RETURN(u.password, jsonf::RequiredString(body, "password"));
  DD_ASSIGN_OR_RETURN(auto must_change, jsonf::OptionalBool(body, "must_change_password"));
  u.must_change_password = must_change.value_or(false);
  DD_ASSIGN_OR_RETURN(User created, svc.CreateUser(ctx.actor_ref(), u));
  return Response::Json(201, UserJson(created));
}

Result<Response> PatchUser(AccountsService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(int64_t id, ctx.IdParam("id"));
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  UserPatch p;
  DD_ASSIGN_OR_RETURN(p.display_name, jsonf::OptionalString(body, "display_name"));
  DD_ASSIGN_OR_RETURN(p.role, jsonf::OptionalString(body, "role"));
  DD_ASSIGN_OR_RETURN(p.department_id, jsonf::PatchNullableInt(body, "department_id"));
  DD_ASSIGN_OR_RETURN(p.active, jsonf::OptionalBool(body, "active"));
  DD_ASSIGN_OR_RETURN(p.password, jsonf::OptionalString(body, "password"));
  DD_ASSIGN_OR_RETURN(User u, svc.UpdateUser(ctx.actor_ref(), id, p));
  return Response::Json(200, UserJson(u));
}

Result<Response> ListDepartments(AccountsService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(auto deps, svc.ListDepartments(ctx.actor_ref()));
  json items = json::array();
  for (const auto& d : deps) items.push_back(DepartmentJson(d));
  return Response::Json(200, {{"items", items}});
}

Result<Response> CreateDepartment(AccountsService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  DD_ASSIGN_OR_RETURN(std::string code, jsonf::RequiredString(body, "code"));
  DD_ASSIGN_OR_RETURN(std::string name, jsonf::RequiredString(body, "name"));
  DD_ASSIGN_OR_RETURN(auto parent, jsonf::OptionalInt(body, "parent_id"));
  DD_ASSIGN_OR_RETURN(Department d, svc.CreateDepartment(ctx.actor_ref(), code, name, parent));
  return Response::Json(201, DepartmentJson(d));
}

Result<Response> PatchDepartment(AccountsService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(int64_t id, ctx.IdParam("id"));
  DD_ASSIGN_OR_RETURN(json body, ctx.JsonBody());
  DepartmentPatch p;
  DD_ASSIGN_OR_RETURN(p.name, jsonf::OptionalString(body, "name"));
  DD_ASSIGN_OR_RETURN(p.parent_id, jsonf::PatchNullableInt(body, "parent_id"));
  DD_ASSIGN_OR_RETURN(Department d, svc.UpdateDepartment(ctx.actor_ref(), id, p));
  return Response::Json(200, DepartmentJson(d));
}

Result<Response> DeleteDepartment(AccountsService& svc, http::RouteContext& ctx) {
  DD_ASSIGN_OR_RETURN(int64_t id, ctx.IdParam("id"));
  DD_RETURN_IF_ERROR(svc.DeleteDepartment(ctx.actor_ref(), id));
  return Response::NoContent();
}

}  // namespace dd::accounts
