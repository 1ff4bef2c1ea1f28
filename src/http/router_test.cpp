#include "http/router.hpp"

#include <gtest/gtest.h>

namespace dd::http {
namespace {

using nlohmann::json;

Request Make(std::string method, std::string target, std::string body = "") {
  Request r;
  r.method = std::move(method);
  r.target = target;
  r.path = target.substr(0, target.find('?'));
  if (target.find('?') != std::string::npos) r.query = target.substr(target.find('?') + 1);
  r.body = std::move(body);
  r.remote_ip = "127.0.0.1";
  return r;
}

std::string HeaderOf(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

// The router with a fixed table and an authenticator that maps the cookie
// value to a role: the routing, permission and CSRF rules are what is tested.
class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : router_(
            {
                {"GET", "/api/v1/open", Permission::kPublic, 0,
                 [](RouteContext&) -> Result<Response> {
                   return Response::Json(200, {{"ok", true}});
                 },
                 /*quick=*/true},
                {"GET", "/api/v1/users", Permission::kUsersRead, 0,
                 [](RouteContext& c) -> Result<Response> {
                   return Response::Json(200, {{"by", c.actor_ref().username}});
                 }},
                {"POST", "/api/v1/users", Permission::kUsersWrite, 0,
                 [](RouteContext& c) -> Result<Response> {
                   DD_ASSIGN_OR_RETURN(json body, c.JsonBody());
                   return Response::Json(201, body);
                 }},
                {"GET", "/api/v1/users/{id}", Permission::kAuthenticated, 0,
                 [](RouteContext& c) -> Result<Response> {
                   DD_ASSIGN_OR_RETURN(int64_t id, c.IdParam("id"));
                   return Response::Json(200, {{"id", id}});
                 }},
                {"PUT", "/api/v1/me/password", Permission::kSelf, 0,
                 [](RouteContext&) -> Result<Response> { return Response::NoContent(); }},
                {"POST", "/api/v1/uploads", Permission::kUsersWrite, 64 << 20,
                 [](RouteContext&) -> Result<Response> { return Response::NoContent(); }},
                {"GET", "/api/v1/boom", Permission::kPublic, 0,
                 [](RouteContext&) -> Result<Response> { throw std::runtime_error("bug"); }},
            },
            [](const Request& req) -> Result<std::optional<Actor>> {
              std::string who = req.Cookie(kSessionCookie);
              if (who.empty()) return std::optional<Actor>();
              Actor a;
              a.username = who;
              a.role = who == "admin" || who == "fresh" ? Role::kAdmin : Role::kAgent;
              a.must_change_password = who == "fresh";
              a.via_cookie = true;
              a.csrf_token = "tok";
              return std::optional<Actor>(a);
            },
            RouterOptions{}) {}

  Response Call(Request r, std::string who = "", std::string csrf = "") {
    if (!who.empty()) r.headers.emplace_back("cookie", "a=b; dd_session=" + who);
    if (!csrf.empty()) r.headers.emplace_back("x-csrf-token", csrf);
    return router_.Handle(r);
  }

  static json Body(const Response& r) { return json::parse(r.body); }

  Router router_;
};

TEST_F(RouterTest, PublicRouteAnswersWithSecurityHeaders) {
  auto r = Call(Make("GET", "/api/v1/open"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(HeaderOf(r, "Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);
  EXPECT_EQ(HeaderOf(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(HeaderOf(r, "Referrer-Policy").empty());
}

TEST_F(RouterTest, UnknownRouteIsProblemJson404) {
  auto r = Call(Make("GET", "/api/v1/nothing"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto b = Body(r);
  EXPECT_EQ(b["code"], "route_not_found");
  EXPECT_EQ(b["status"], 404);
  EXPECT_FALSE(b["title"].get<std::string>().empty());
  EXPECT_FALSE(b["detail"].get<std::string>().empty());
}

TEST_F(RouterTest, WrongMethodIs405) {
  auto r = Call(Make("DELETE", "/api/v1/open"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Body(r)["status"], 405);
}

TEST_F(RouterTest, PermissionTable) {
  struct Case {
    const char* who;
    const char* method;
    const char* path;
    int status;
    const char* code;
  };
  const Case cases[] = {
      {"", "GET", "/api/v1/users", 401, "unauthenticated"},
      {"agent", "GET", "/api/v1/users", 403, "forbidden"},
      {"admin", "GET", "/api/v1/users", 200, ""},
      {"agent", "GET", "/api/v1/users/7", 200, ""},
      {"agent", "GET", "/api/v1/users/abc", 404, "not_found"},
      {"fresh", "GET", "/api/v1/users", 403, "password_change_required"},
  };
  for (const auto& c : cases) {
    auto r = Call(Make(c.method, c.path), c.who);
    EXPECT_EQ(r.status, c.status) << c.who << " " << c.path;
    if (*c.code) {
      EXPECT_EQ(Body(r)["code"], c.code) << c.who << " " << c.path;
    }
  }
}

TEST_F(RouterTest, CsrfRequiredForUnsafeCookieRequests) {
  EXPECT_EQ(Body(Call(Make("POST", "/api/v1/users", "{}"), "admin"))["code"], "csrf_failed");
  EXPECT_EQ(Call(Make("POST", "/api/v1/users", "{}"), "admin", "wrong").status, 403);
  EXPECT_EQ(Call(Make("POST", "/api/v1/users", "{\"a\":1}"), "admin", "tok").status, 201);
  // The one route allowed before the first password change.
  EXPECT_EQ(Call(Make("PUT", "/api/v1/me/password", "{}"), "fresh", "tok").status, 204);
}

TEST_F(RouterTest, MalformedJsonIs400InTheCallersLanguage) {
  Request r = Make("POST", "/api/v1/users", "{oops");
  r.headers.emplace_back("accept-language", "en-US,en;q=0.9");
  auto res = Call(r, "admin", "tok");
  EXPECT_EQ(res.status, 400);
  auto b = Body(res);
  EXPECT_EQ(b["code"], "invalid_json");
  EXPECT_EQ(b["detail"], "The request body is not valid JSON.");
  auto zh = Body(Call(Make("POST", "/api/v1/users", "[1]"), "admin", "tok"));
  EXPECT_EQ(zh["code"], "json_object_expected");
  EXPECT_EQ(zh["detail"], "请求内容应当是一个 JSON 对象。");
}

TEST_F(RouterTest, HandlerExceptionIs500ProblemNotACrash) {
  auto r = Call(Make("GET", "/api/v1/boom"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Body(r)["code"], "internal");
}

TEST_F(RouterTest, BodyLimitsFollowTheRoute) {
  EXPECT_EQ(router_.BodyLimit("POST", "/api/v1/users"), 1u << 20);
  EXPECT_EQ(router_.BodyLimit("POST", "/api/v1/uploads?x=1"), 64u << 20);
  EXPECT_EQ(router_.BodyLimit("POST", "/nowhere"), 1u << 20);
  auto r = router_.TransportError(413, "en", false);
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(r.close);
  EXPECT_EQ(Body(r)["code"], "body_too_large");
}

// Answers on the I/O thread know the caller without writing: one that only
// the full authenticator (which may write) can admit goes to a worker, and
// that authenticator is never called inline.
TEST(RouterInlineTest, CallerKnownWithoutWritingOrAWorker) {
  int full_checks = 0;
  auto inline_answer = [](RouteContext& c) -> std::optional<Result<Response>> {
    return Result<Response>(Response::Json(200, {{"by", c.actor_ref().username}}));
  };
  auto worker_answer = [](RouteContext&) -> Result<Response> { return Response::NoContent(); };
  Router router(
      {{"POST", "/api/v1/desk/outcome", Permission::kDesk, 0, worker_answer, false, inline_answer}},
      [&](const Request&) -> Result<std::optional<Actor>> {
        ++full_checks;
        return std::optional<Actor>();
      },
      RouterOptions{},
      [](const Request& req) -> std::optional<Actor> {
        if (req.Cookie(kSessionCookie) != "known") return std::nullopt;
        Actor a;
        a.username = "known";
        a.role = Role::kAgent;
        a.via_cookie = true;
        a.csrf_token = "tok";
        return a;
      });
  auto post = [&](std::string who, std::string csrf) {
    Request r = Make("POST", "/api/v1/desk/outcome", "{}");
    r.headers.emplace_back("cookie", "dd_session=" + who);
    r.headers.emplace_back("x-csrf-token", csrf);
    return router.TryInline(r);
  };
  auto hit = post("known", "tok");
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->status, 200);
  EXPECT_EQ(json::parse(hit->body)["by"], "known");
  // The rules still apply to a caller known so.
  auto forged = post("known", "wrong");
  ASSERT_TRUE(forged.has_value());
  EXPECT_EQ(forged->status, 403);
  EXPECT_FALSE(post("stale", "tok").has_value());
  EXPECT_EQ(full_checks, 0);
}

TEST(RequestTest, CookieAndQueryParsing) {
  Request r = Make("GET", "/x?name=%E5%BC%A0+san&empty=&n=5");
  r.headers.emplace_back("cookie", "theme=dark; dd_session=abc=def; other=1");
  EXPECT_EQ(r.Cookie("dd_session"), "abc=def");
  EXPECT_EQ(r.Cookie("missing"), "");
  EXPECT_EQ(r.QueryParam("name"), "张 san");
  EXPECT_EQ(r.QueryParam("empty"), "");
  EXPECT_EQ(r.QueryParam("n"), "5");
}

TEST(RouteContextTest, QueryIntegers) {
  Request r = Make("GET", "/x?page=3&zero=0&neg=-2&bad=3x&empty=");
  RouteContext ctx{r, {}, std::nullopt, "en"};
  EXPECT_EQ(ctx.PositiveQueryInt("page").value(), std::optional<int64_t>(3));
  EXPECT_EQ(ctx.PositiveQueryInt("missing").value(), std::nullopt);
  EXPECT_EQ(ctx.PositiveQueryInt("empty").value(), std::nullopt);
  for (const char* bad : {"zero", "neg", "bad"}) {
    auto v = ctx.PositiveQueryInt(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.error().reason, "invalid_field");
    EXPECT_EQ(v.error().args.at("field"), bad);
  }
  EXPECT_EQ(ctx.QueryInt("neg"), std::optional<int64_t>(-2));
  EXPECT_EQ(ctx.QueryInt("zero"), std::optional<int64_t>(0));
  EXPECT_EQ(ctx.QueryInt("bad"), std::nullopt);
  EXPECT_EQ(ctx.QueryInt("missing"), std::nullopt);
}

TEST(SessionCookieTest, IsHttpOnlyStrictAndSecureUnderTls) {
  std::string c = SessionCookie("t", 60, false);
  EXPECT_NE(c.find("HttpOnly"), std::string::npos);
  EXPECT_NE(c.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(c.find("Secure"), std::string::npos);
  EXPECT_NE(SessionCookie("t", 60, true).find("; Secure"), std::string::npos);
}

TEST_F(RouterTest, QuickRequestsAreTheDeclaredRoutesAndTheWebApp) {
  EXPECT_TRUE(router_.Quick("GET", "/api/v1/open"));
  EXPECT_TRUE(router_.Quick("GET", "/api/v1/open?x=1"));
  EXPECT_FALSE(router_.Quick("POST", "/api/v1/open"));  // not that route
  EXPECT_FALSE(router_.Quick("GET", "/api/v1/users"));
  EXPECT_FALSE(router_.Quick("GET", "/api/v1/nothing"));
  EXPECT_TRUE(router_.Quick("GET", "/"));
  EXPECT_TRUE(router_.Quick("GET", "/assets/app.js"));
}

}  // namespace
}  // namespace dd::http
