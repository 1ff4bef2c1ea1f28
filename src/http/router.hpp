// The application's HTTP handler: matches a route, authenticates, checks the
// route's declared permission and CSRF, calls the handler, maps errors to
// RFC 9457 problem+json and adds the security headers. No Beast here, so it
// is tested without sockets (router_test.cpp).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/auth.hpp"
#include "core/result.hpp"
#include "http/message.hpp"

namespace dd::http {

inline constexpr std::string_view kSessionCookie = "dd_session";

struct RouteContext {
  Request& req;
  std::map<std::string, std::string> params;  // {id} in the pattern
  std::optional<Actor> actor;                 // set unless the route is public
  std::string lang;                           // "zh-CN" or "en"

  const Actor& actor_ref() const { return *actor; }
  // The body as a JSON object; 400 invalid_json otherwise.
  Result<nlohmann::json> JsonBody() const;
  // A positive integer path parameter; 404 otherwise.
  Result<int64_t> IdParam(const std::string& name) const;
  // An optional positive integer query parameter: empty when absent, 400
  // invalid_field (naming the parameter) when present but not one.
  Result<std::optional<int64_t>> PositiveQueryInt(std::string_view name) const;
  // An integer query parameter; nullopt when absent or not an integer.
  std::optional<int64_t> QueryInt(std::string_view name) const;
};

using HandlerFn = std::function<Result<Response>(RouteContext&)>;
// An answer given at once on the I/O thread, or nullopt: then `handler` runs
// on a worker. Must never wait (no database, no lock held for long).
using InlineFn = std::function<std::optional<Result<Response>>(RouteContext&)>;

struct Route {
  std::string method;
  std::string pattern;    // "/api/v1/users/{id}"
  Permission permission;  // declared for every route
  size_t body_limit;      // 0: the default JSON limit
  HandlerFn handler;
  bool quick = false;  // answered on the I/O thread (Handler::Quick): no write lock, no heavy work
  InlineFn try_inline = nullptr;  // tried on the I/O thread first (Handler::TryInline)
};

// Who is calling: the session cookie or the Bearer token of a request.
using Authenticator = std::function<Result<std::optional<Actor>>(const Request&)>;
// The same without writing, for answers on the I/O thread (a write would wait
// there for the write lock, and every connection with it): nullopt when the
// caller cannot be known so (the request then goes to a worker, which may
// write, e.g. a session's last_seen_at).
using ReadOnlyAuthenticator = std::function<std::optional<Actor>(const Request&)>;

struct RouterOptions {
  size_t json_body_limit = 1 << 20;
  bool tls = false;  // adds Secure to cookies and HSTS
};

class Router final : public Handler {
 public:
  // Without `read_only`, no route that needs a caller is answered inline.
  Router(std::vector<Route> routes, Authenticator auth, RouterOptions opts,
         ReadOnlyAuthenticator read_only = nullptr);

  size_t BodyLimit(std::string_view method, std::string_view target) const override;
  // The web app's files and the routes declared quick.
  bool Quick(std::string_view method, std::string_view target) const override;
  Response Handle(Request& req) const override;
  std::optional<Response> TryInline(Request& req) const override;
  Response TransportError(int status, std::string_view accept_language, bool tls,
                          size_t limit = 0) const override;

  const std::vector<Route>& routes() const { return routes_; }
  const RouterOptions& options() const { return opts_; }

 private:
  const Route* Match(std::string_view method, std::string_view path,
                     std::map<std::string, std::string>* params, bool* path_known) const;
  // The route a request line ("/path?query") goes to, if any.
  const Route* RouteFor(std::string_view method, std::string_view target) const;
  Response Dispatch(Request& req, const std::string& lang) const;
  // Authentication (unless the caller is `known`), CSRF, the forced password
  // change and the route's permission: an error answer, or nullopt to go on
  // (ctx.actor set).
  std::optional<Response> Admit(const Route& route, RouteContext& ctx,
                                std::optional<Actor> known = std::nullopt) const;
  std::string AllowedMethods(std::string_view path) const;
  Response ServeStatic(const Request& req, const std::string& lang) const;
  void Finalize(Response& res, bool tls, bool is_api) const;

  std::vector<Route> routes_;
  std::vector<std::vector<std::string_view>> patterns_;  // routes_[i].pattern split at '/'
  Authenticator auth_;
  RouterOptions opts_;
  ReadOnlyAuthenticator read_only_;
  std::unordered_map<std::string_view, std::string_view> assets_;
};

// Error -> problem+json response in `lang` (problem.cpp).
int HttpStatus(ErrorCode code);
Response ProblemResponse(const Error& e, const std::string& lang, int status_override = 0);

// Session cookie header values.
std::string SessionCookie(const std::string& token, int64_t max_age_s, bool secure);

}  // namespace dd::http
