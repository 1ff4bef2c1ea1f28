#include "http/router.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "core/crypto.hpp"
#include "core/embedded.hpp"
#include "core/i18n.hpp"

namespace dd::http {
namespace {

constexpr std::string_view kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// A pattern segment "{name}" matches any one path segment.
bool IsParam(std::string_view seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

// Whether a route's pattern matches the path's segments.
bool Fits(const std::vector<std::string_view>& pat, const std::vector<std::string_view>& segs) {
  if (pat.size() != segs.size()) return false;
  for (size_t i = 0; i < pat.size(); ++i) {
    if (!IsParam(pat[i]) && pat[i] != segs[i]) return false;
  }
  return true;
}

bool IsUnsafe(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::string_view MimeType(std::string_view path) {
  auto ends = [&](std::string_view ext) { return path.ends_with(ext); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".woff2")) return "font/woff2";
  if (ends(".woff")) return "font/woff";
  if (ends(".ttf")) return "font/ttf";
  if (ends(".json")) return "application/json";
  if (ends(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

Result<nlohmann::json> RouteContext::JsonBody() const {
  auto j = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("invalid_json");
  if (!j.is_object()) return InvalidArgument("json_object_expected");
  return j;
}

Result<int64_t> RouteContext::IdParam(const std::string& name) const {
  auto it = params.find(name);
  if (it == params.end() || it->second.empty() || it->second.size() > 18)
    return NotFound("resource");
  int64_t v = 0;
  for (char c : it->second) {
    if (c < '0' || c > '9') return NotFound("resource");
    v = v * 10 + (c - '0');
  }
  if (v <= 0) return NotFound("resource");
  return v;
}

Result<std::optional<int64_t>> RouteContext::PositiveQueryInt(std::string_view name) const {
  const std::string v = req.QueryParam(name);
  if (v.empty()) return std::optional<int64_t>();
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n <= 0) {
    return InvalidArgument("invalid_field", {{"field", std::string(name)}});
  }
  return std::optional<int64_t>(n);
}

std::optional<int64_t> RouteContext::QueryInt(std::string_view name) const {
  const std::string v = req.QueryParam(name);
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  return n;
}

Router::Router(std::vector<Route> routes, Authenticator auth, RouterOptions opts,
               ReadOnlyAuthenticator read_only)
    : routes_(std::move(routes)),
      auth_(std::move(auth)),
      opts_(opts),
      read_only_(std::move(read_only)) {
  for (const auto& f : embed::web_assets()) assets_.emplace(f.path, f.data);
  for (const auto& r : routes_) patterns_.push_back(Split(r.pattern));
}

const Route* Router::Match(std::string_view method, std::string_view path,
                           std::map<std::string, std::string>* params, bool* path_known) const {
  const auto segs = Split(path);
  *path_known = false;
  for (size_t ri = 0; ri < routes_.size(); ++ri) {
    const Route& r = routes_[ri];
    const auto& pat = patterns_[ri];
    // The parameters are copied out only for the route that matches (this
    // runs several times for every request).
    if (!Fits(pat, segs)) continue;
    *path_known = true;
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      params->clear();
      for (size_t i = 0; i < pat.size(); ++i) {
        if (IsParam(pat[i]))
          (*params)[std::string(pat[i].substr(1, pat[i].size() - 2))] = std::string(segs[i]);
      }
      return &r;
    }
  }
  return nullptr;
}

std::string Router::AllowedMethods(std::string_view path) const {
  std::string allow;
  const auto segs = Split(path);
  for (size_t ri = 0; ri < routes_.size(); ++ri) {
    if (!Fits(patterns_[ri], segs) || allow.find(routes_[ri].method) != std::string::npos) continue;
    if (!allow.empty()) allow += ", ";
    allow += routes_[ri].method;
    if (routes_[ri].method == "GET") allow += ", HEAD";
  }
  return allow;
}

const Route* Router::RouteFor(std::string_view method, std::string_view target) const {
  std::map<std::string, std::string> params;
  bool known = false;
  return Match(method, target.substr(0, target.find('?')), &params, &known);
}

size_t Router::BodyLimit(std::string_view method, std::string_view target) const {
  const Route* r = RouteFor(method, target);
  if (r && r->body_limit > 0) return r->body_limit;
  return opts_.json_body_limit;
}

bool Router::Quick(std::string_view method, std::string_view target) const {
  std::string_view path = target.substr(0, target.find('?'));
  if (!path.starts_with("/api/") && path != "/healthz") return true;  // ServeStatic: memory only
  const Route* r = RouteFor(method, target);
  return r && r->quick;
}

Response Router::Handle(Request& req) const {
  const std::string lang = i18n::PickLanguage(req.Header("accept-language"));
  const bool is_api = req.path.starts_with("/api/") || req.path == "/healthz";
  Response res;
  try {
    if (is_api) {
      res = Dispatch(req, lang);
    } else {
      res = ServeStatic(req, lang);
    }
  } catch (const std::exception& e) {
    res = ProblemResponse(InternalError(std::string("exception: ") + e.what()), lang);
  }
  Finalize(res, req.tls, is_api);
  return res;
}

std::optional<Response> Router::Admit(const Route& route, RouteContext& ctx,
                                      std::optional<Actor> known) const {
  if (route.permission == Permission::kPublic) return std::nullopt;
  const Request& req = ctx.req;
  const std::string& lang = ctx.lang;
  if (known) {
    ctx.actor = std::move(known);
  } else {
    auto actor = auth_(req);
    if (!actor.ok()) return ProblemResponse(actor.error(), lang);
    if (!actor->has_value()) {
      Response r = ProblemResponse(Error(ErrorCode::kUnauthenticated, "unauthenticated"), lang);
      r.SetHeader("WWW-Authenticate", "Bearer realm=\"dialdeck\"");
      return r;
    }
    ctx.actor = std::move(**actor);
  }
  const Actor& a = *ctx.actor;
  if (a.via_cookie && IsUnsafe(req.method) &&
      !crypto::SafeEqual(req.Header("x-csrf-token"), a.csrf_token)) {
    return ProblemResponse(Error(ErrorCode::kPermissionDenied, "csrf_failed"), lang);
  }
  if (a.must_change_password && route.permission != Permission::kSelf) {
    return ProblemResponse(Error(ErrorCode::kPermissionDenied, "password_change_required"), lang);
  }
  if (!RoleHas(a.role, route.permission)) {
    spdlog::info("event=permission_denied user={} role={} permission={} path={}", a.username,
                 RoleName(a.role), PermissionName(route.permission), req.path);
    return ProblemResponse(Error(ErrorCode::kPermissionDenied, "forbidden"), lang);
  }
  return std::nullopt;
}

std::optional<Response> Router::TryInline(Request& req) const {
  RouteContext ctx{req, {}, std::nullopt, {}};
  bool path_known = false;
  const Route* route = Match(req.method, req.path, &ctx.params, &path_known);
  if (!route || !route->try_inline) return std::nullopt;
  ctx.lang = i18n::PickLanguage(req.Header("accept-language"));
  const std::string& lang = ctx.lang;
  Response res;
  try {
    // A caller known without writing; one whose session is due a write
    // (its touch) goes to a worker.
    std::optional<Actor> known;
    if (route->permission != Permission::kPublic) {
      if (!read_only_ || !(known = read_only_(req))) return std::nullopt;
    }
    if (auto refused = Admit(*route, ctx, std::move(known))) {
      res = std::move(*refused);
    } else {
      auto result = route->try_inline(ctx);
      if (!result) return std::nullopt;
      res = result->ok() ? std::move(*result).value() : ProblemResponse(result->error(), lang);
    }
  } catch (const std::exception&) {
    return std::nullopt;  // the worker's Handle answers (and logs) it
  }
  Finalize(res, req.tls, true);
  return res;
}

Response Router::Dispatch(Request& req, const std::string& lang) const {
  RouteContext ctx{req, {}, std::nullopt, lang};
  bool path_known = false;
  const Route* route = Match(req.method, req.path, &ctx.params, &path_known);
  if (!route) {
    if (path_known) {
      Response r =
          ProblemResponse(Error(ErrorCode::kInvalidArgument, "method_not_allowed"), lang, 405);
      r.SetHeader("Allow", AllowedMethods(req.path));
      return r;
    }
    return ProblemResponse(Error(ErrorCode::kNotFound, "route_not_found"), lang);
  }
  if (auto refused = Admit(*route, ctx)) return std::move(*refused);
  auto result = route->handler(ctx);
  if (!result.ok()) return ProblemResponse(result.error(), lang);
  return std::move(result).value();
}

Response Router::ServeStatic(const Request& req, const std::string& lang) const {
  if (req.method != "GET" && req.method != "HEAD") {
    return ProblemResponse(Error(ErrorCode::kInvalidArgument, "method_not_allowed"), lang, 405);
  }
  std::string_view path = req.path;
  auto it = assets_.find(path == "/" ? std::string_view("/index.html") : path);
  bool fallback = false;
  if (it == assets_.end()) {
    // Client-side routes (/users, /desk ...) get the app; missing files 404.
    const auto last = path.substr(path.rfind('/') + 1);
    if (last.find('.') != std::string_view::npos) {
      return ProblemResponse(Error(ErrorCode::kNotFound, "route_not_found"), lang);
    }
    it = assets_.find("/index.html");
    fallback = true;
    if (it == assets_.end()) {
      Response r;
      r.content_type = "text/plain; charset=utf-8";
      r.body = "Dialdeck: the web app was not built into this binary (run `make build`).\n";
      return r;
    }
  }
  Response r;
  r.content_type = std::string(MimeType(it->first));
  r.body = std::string(it->second);
  const bool immutable = !fallback && it->first.starts_with("/assets/");
  r.SetHeader("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  return r;
}

void Router::Finalize(Response& res, bool tls, bool is_api) const {
  res.SetHeader("Content-Security-Policy", std::string(kCsp));
  res.SetHeader("X-Content-Type-Options", "nosniff");
  res.SetHeader("X-Frame-Options", "DENY");
  res.SetHeader("Referrer-Policy", "no-referrer");
  res.SetHeader("Cross-Origin-Opener-Policy", "same-origin");
  res.SetHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
  if (tls) res.SetHeader("Strict-Transport-Security", "max-age=31536000");
  if (is_api) res.SetHeader("Cache-Control", "no-store");
}

Response Router::TransportError(int status, std::string_view accept_language, bool tls,
                                size_t limit) const {
  const std::string lang = i18n::PickLanguage(accept_language);
  Error e;
  switch (status) {
    case 413:
      e = Error(ErrorCode::kTooLarge, "body_too_large",
                {{"limit", std::to_string(limit ? limit : opts_.json_body_limit)}});
      break;
    case 408: e = Error(ErrorCode::kInvalidArgument, "request_timeout"); break;
    default: e = Error(ErrorCode::kInvalidArgument, "bad_request"); break;
  }
  Response r = ProblemResponse(e, lang, status);
  r.close = true;
  Finalize(r, tls, true);
  return r;
}

}  // namespace dd::http
