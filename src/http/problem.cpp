#include <spdlog/spdlog.h>

#include "core/i18n.hpp"
#include "http/router.hpp"

namespace dd::http {

// The one place that maps domain errors to HTTP (-Werror=switch keeps it whole).
int HttpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kTooLarge: return 413;
    case ErrorCode::kLocked: return 423;
    case ErrorCode::kRateLimited: return 429;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

Response ProblemResponse(const Error& e, const std::string& lang, int status_override) {
  const int status = status_override > 0 ? status_override : HttpStatus(e.code);
  if (status >= 500) {
    spdlog::error("event=request_failed status={} reason={} internal=\"{}\"", status, e.reason,
                  e.internal);
  }
  nlohmann::json body = {
      {"type", "urn:dialdeck:problem:" + e.reason},
      {"title", i18n::Translate(lang, "status." + std::to_string(status))},
      {"status", status},
      {"detail", i18n::Translate(lang, e.reason, e.args)},
      {"code", e.reason},
  };
  Response r = Response::Json(status, body);
  r.content_type = "application/problem+json";
  if (e.retry_after_s > 0) r.SetHeader("Retry-After", std::to_string(e.retry_after_s));
  r.delay = e.delay;
  return r;
}

std::string SessionCookie(const std::string& token, int64_t max_age_s, bool secure) {
  std::string c = std::string(kSessionCookie) + "=" + token +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_s);
  if (secure) c += "; Secure";
  return c;
}

}  // namespace dd::http
