// Wiring: one App owns the database, the clock and the services, and builds
// the router whose route table (routes.cpp) declares every permission.
#pragma once

#include <memory>
#include <string>

#include "app/vault_admin.hpp"
#include "core/clock.hpp"
#include "db/database.hpp"
#include "http/router.hpp"
#include "modules/accounts/accounts_service.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/dealing/dealing_service.hpp"
#include "modules/desk/desk_service.hpp"
#include "modules/intake/intake_service.hpp"
#include "modules/leak/leak_service.hpp"
#include "modules/lifecycle/lifecycle_service.hpp"
#include "modules/phone/phone_cleaner.hpp"
#include "modules/pool/pool_service.hpp"
#include "modules/settings/settings.hpp"

namespace dd::app {

struct AppOptions {
  std::string db_url = "data/dialdeck.db";
  VaultOptions vault;
  size_t json_body_limit = 1 << 20;
  size_t upload_body_limit = 256u << 20;
  bool tls = false;
};

class App {
 public:
  // Opens (creating if needed) and migrates the database.
  static Result<std::unique_ptr<App>> Open(const AppOptions& opts,
                                           std::unique_ptr<Clock> clock = nullptr);

  db::Database& db() { return *db_; }
  const Clock& clock() const { return *clock_; }
  const vault::Vault& vault() const { return *vault_; }
  // `dialdeck rotate-key`: re-encrypts everything under a new master key.
  Result<RotateReport> RotateKey() {
    return app::RotateKey(*db_, opts_.db_url, opts_.vault, &vault_);
  }
  const audit::AuditLog& audit() const { return *audit_; }
  accounts::AccountsService& accounts() { return *accounts_; }
  settings::Settings& settings() { return *settings_; }
  intake::IntakeService& intake() { return *intake_; }
  dealing::DealingService& dealing() { return *dealing_; }
  desk::DeskService& desk() { return *desk_; }
  lifecycle::LifecycleService& lifecycle() { return *lifecycle_; }
  leak::LeakService& leak() { return *leak_; }
  pool::PoolService& pool() { return *pool_; }
  const AppOptions& options() const { return opts_; }

  // The route table: every route with its permission (routes.cpp).
  std::vector<http::Route> Routes();
  std::unique_ptr<http::Router> MakeRouter();

 private:
  App() = default;
  AppOptions opts_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<vault::Vault> vault_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<accounts::AccountsService> accounts_;
  std::unique_ptr<settings::Settings> settings_;
  std::unique_ptr<phone::PhoneCleaner> cleaner_;
  std::unique_ptr<intake::IntakeService> intake_;
  std::unique_ptr<dealing::DealingService> dealing_;
  std::unique_ptr<desk::DeskService> desk_;
  std::unique_ptr<lifecycle::LifecycleService> lifecycle_;
  std::unique_ptr<leak::LeakService> leak_;
  std::unique_ptr<pool::PoolService> pool_;
};

}  // namespace dd::app
