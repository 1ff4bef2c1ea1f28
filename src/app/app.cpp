#include "app/app.hpp"

#include <filesystem>

namespace dd::app {

Result<std::unique_ptr<App>> App::Open(const AppOptions& opts, std::unique_ptr<Clock> clock) {
  std::unique_ptr<App> app(new App());
  app->opts_ = opts;
  // A SQLite path in a folder that does not exist yet: create the folder.
  if (!opts.db_url.starts_with("postgres")) {
    std::filesystem::path parent = std::filesystem::path(opts.db_url).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  }
  DD_ASSIGN_OR_RETURN(app->db_, db::Open(opts.db_url));
  DD_ASSIGN_OR_RETURN(int applied, db::Migrate(*app->db_));
  (void)applied;
  DD_ASSIGN_OR_RETURN(app->vault_, OpenVault(*app->db_, opts.db_url, opts.vault));
  app->clock_ = clock ? std::move(clock) : std::make_unique<SystemClock>();
  app->audit_ = std::make_unique<audit::AuditLog>(*app->clock_);
  app->accounts_ =
      std::make_unique<accounts::AccountsService>(*app->db_, *app->clock_, *app->audit_);
  app->settings_ = std::make_unique<settings::Settings>(*app->db_, *app->clock_, *app->audit_);
  DD_ASSIGN_OR_RETURN(std::string region, app->settings_->Get("phone_default_region"));
  app->cleaner_ = std::make_unique<phone::PhoneCleaner>(region);
  app->intake_ = std::make_unique<intake::IntakeService>(
      *app->db_, *app->clock_, *app->audit_, *app->settings_, *app->cleaner_, *app->vault_);
  app->dealing_ = std::make_unique<dealing::DealingService>(*app->db_, *app->clock_, *app->audit_,
                                                            *app->settings_);
  app->desk_ = std::make_unique<desk::DeskService>(*app->db_, *app->clock_, *app->audit_,
                                                   *app->settings_, *app->cleaner_, *app->vault_);
  app->lifecycle_ = std::make_unique<lifecycle::LifecycleService>(
      *app->db_, *app->clock_, *app->audit_, *app->cleaner_, *app->vault_);
  app->leak_ = std::make_unique<leak::LeakService>(*app->db_, *app->clock_, *app->audit_,
                                                   *app->settings_, *app->cleaner_, *app->vault_);
  app->pool_ = std::make_unique<pool::PoolService>(*app->db_, *app->clock_, *app->audit_,
                                                   *app->settings_, *app->cleaner_, *app->vault_);
  return app;
}

namespace {

std::optional<std::string_view> BearerToken(const http::Request& req) {
  std::string_view authz = req.Header("authorization");
  if (authz.size() > 7 && (authz.starts_with("Bearer ") || authz.starts_with("bearer ")))
    return authz.substr(7);
  return std::nullopt;
}

}  // namespace

std::unique_ptr<http::Router> App::MakeRouter() {
  http::Authenticator auth = [this](const http::Request& req) -> Result<std::optional<Actor>> {
    if (auto token = BearerToken(req))
      return accounts_->AuthenticateToken(std::string(*token), req.remote_ip);
    std::string cookie = req.Cookie(http::kSessionCookie);
    if (cookie.empty()) return std::optional<Actor>();
    return accounts_->AuthenticateSession(cookie, req.remote_ip);
  };
  // Tokens may be touched at every lookup: a worker looks them up.
  http::ReadOnlyAuthenticator read_only = [this](const http::Request& req) -> std::optional<Actor> {
    if (BearerToken(req)) return std::nullopt;
    return accounts_->SessionWithoutWriting(req.Cookie(http::kSessionCookie), req.remote_ip);
  };
  return std::make_unique<http::Router>(Routes(), std::move(auth),
                                        http::RouterOptions{opts_.json_body_limit, opts_.tls},
                                        std::move(read_only));
}

}  // namespace dd::app
