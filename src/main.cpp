// dialdeck: the command line. `dialdeck serve` runs the web application;
// the other commands administer the same database from a shell.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/app.hpp"
#include "core/crypto.hpp"
#include "core/i18n.hpp"
#include "http/server.hpp"
#include "modules/accounts/accounts_routes.hpp"
#include "modules/audit/audit_routes.hpp"

namespace {

using dd::Error;
using nlohmann::json;

std::string CliLanguage() {
  const char* lang = std::getenv("DIALDECK_LANG");
  if (!lang) lang = std::getenv("LANG");
  if (lang && std::string_view(lang).starts_with("zh")) return "zh-CN";
  return "en";
}

int Fail(const Error& e) {
  std::cerr << "dialdeck: " << dd::i18n::Translate(CliLanguage(), e.reason, e.args);
  if (!e.internal.empty()) std::cerr << " (" << e.internal << ")";
  std::cerr << "\n";
  return 1;
}

std::string DefaultDb() {
  const char* env = std::getenv("DIALDECK_DB");
  return env ? env : "data/dialdeck.db";
}

dd::Result<std::unique_ptr<dd::app::App>> OpenApp(const std::string& db, bool tls = false,
                                                  size_t json_limit = 1 << 20) {
  dd::app::AppOptions o;
  o.db_url = db;
  o.tls = tls;
  o.json_body_limit = json_limit;
  return dd::app::App::Open(o);
}

std::string ReadPasswordLine() {
  std::string line;
  std::getline(std::cin, line);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

bool SplitListen(const std::string& s, std::string* host, uint16_t* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  *host = s.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  try {
    int p = std::stoi(s.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    *port = static_cast<uint16_t>(p);
  } catch (...) {
    return false;
  }
  return !host->empty();
}

}  // namespace

int main(int argc, char** argv) {
  if (!dd::crypto::InitCrypto()) {
    std::cerr << "dialdeck: libsodium could not be initialised\n";
    return 1;
  }
  // Logs go to stderr, so stdout carries only command output (tokens, JSON).
  spdlog::set_default_logger(spdlog::stderr_color_mt("dialdeck"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");

  CLI::App cli{"Dialdeck — a CRM for telesales teams (电销 CRM)", "dialdeck"};
  cli.require_subcommand(1);
  std::string db = DefaultDb();
  auto add_db = [&db](CLI::App* c) {
    c->add_option("--db", db, "SQLite database file (or, later, postgres://...)")
        ->envname("DIALDECK_DB")
        ->capture_default_str();
  };

  // serve
  auto* serve = cli.add_subcommand("serve", "Run the web application");
  add_db(serve);
  std::string listen = "127.0.0.1:8080";
  bool demo = false;
  std::string tls_cert, tls_key, log_level = "info";
  int io_threads = 1, workers = 4;
  size_t json_limit = 1 << 20;
  serve->add_option("--listen", listen, "HOST:PORT to listen on")
      ->envname("DIALDECK_LISTEN")
      ->capture_default_str();
  serve->add_flag("--demo", demo,
                  "On an empty database, load a demo company (admin, manager, three agents)");
  serve->add_option("--tls-cert", tls_cert, "PEM certificate chain: serve HTTPS")
      ->check(CLI::ExistingFile);
  serve->add_option("--tls-key", tls_key, "PEM private key for --tls-cert")
      ->check(CLI::ExistingFile);
  serve->add_option("--io-threads", io_threads, "I/O threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  serve->add_option("--workers", workers, "Worker threads for request handling")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  serve
      ->add_option("--max-json-body", json_limit,
                   "Largest JSON request body in bytes (413 past it)")
      ->capture_default_str();
  serve->add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();

  // migrate
  auto* migrate = cli.add_subcommand("migrate", "Apply database migrations and exit");
  add_db(migrate);

  // department
  auto* dep = cli.add_subcommand("department", "Manage departments");
  dep->require_subcommand(1);
  auto* dep_add = dep->add_subcommand("add", "Create a department");
  add_db(dep_add);
  std::string dep_code, dep_name, dep_parent;
  dep_add->add_option("CODE", dep_code, "Unique code, e.g. SALES1")->required();
  dep_add->add_option("--name", dep_name, "Display name, e.g. 电销一部")->required();
  dep_add->add_option("--parent", dep_parent, "Code of the parent department");
  auto* dep_list = dep->add_subcommand("list", "List departments");
  add_db(dep_list);

  // user
  auto* user = cli.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "Create a user");
  add_db(user_add);
  std::string u_name, u_role, u_dep, u_display;
  bool u_stdin = false, u_must_change = false;
  user_add->add_option("NAME", u_name, "Login name")->required();
  user_add->add_option("--role", u_role, "admin, manager, agent or service")
      ->required()
      ->check(CLI::IsMember({"admin", "manager", "agent", "service"}));
  user_add->add_option("--department", u_dep, "Department code");
  user_add->add_option("--display-name", u_display, "Name shown in the UI (default: NAME)");
  user_add->add_flag("--password-stdin", u_stdin, "Read the password from the first line of stdin")
      ->required();
  user_add->add_flag("--must-change-password", u_must_change,
                     "Require a new password at first login");
  auto* user_list = user->add_subcommand("list", "List users");
  add_db(user_list);
  auto* user_passwd = user->add_subcommand("passwd", "Set a user's password (read from stdin)");
  add_db(user_passwd);
  user_passwd->add_option("NAME", u_name, "Login name")->required();
  user_passwd->add_flag("--password-stdin", u_stdin, "Read the password from stdin")->required();
  auto* user_disable = user->add_subcommand("disable", "Disable a user and end their sessions");
  add_db(user_disable);
  user_disable->add_option("NAME", u_name, "Login name")->required();
  auto* user_enable = user->add_subcommand("enable", "Enable a disabled user");
  add_db(user_enable);
  user_enable->add_option("NAME", u_name, "Login name")->required();

  // token
  auto* token = cli.add_subcommand("token", "API tokens for scripts (Authorization: Bearer ...)");
  token->require_subcommand(1);
  auto* token_create = token->add_subcommand("create", "Create a token and print it on stdout");
  add_db(token_create);
  std::string t_name, t_user;
  int64_t t_id = 0;
  token_create
      ->add_option("NAME", t_name, "The user the token acts as; or, with --user, the token's label")
      ->required();
  token_create->add_option("--user", t_user,
                           "User the token acts as (default: NAME, else the first admin)");
  auto* token_list = token->add_subcommand("list", "List tokens (never their values)");
  add_db(token_list);
  auto* token_revoke = token->add_subcommand("revoke", "Revoke a token by id");
  add_db(token_revoke);
  token_revoke->add_option("ID", t_id, "Token id (see token list)")->required();

  // audit
  auto* audit = cli.add_subcommand("audit", "The tamper-evident audit trail");
  audit->require_subcommand(1);
  auto* audit_verify =
      audit->add_subcommand("verify", "Check the hash chain; exit 1 naming the first broken entry");
  add_db(audit_verify);
  auto* audit_list = audit->add_subcommand("list", "Show the newest entries");
  add_db(audit_list);
  int a_limit = 20;
  audit_list->add_option("--limit", a_limit, "How many")->capture_default_str();

  CLI11_PARSE(cli, argc, argv);

  const dd::Actor cli_actor = dd::Actor::Cli();

  if (*serve) {
    spdlog::set_level(spdlog::level::from_str(log_level));
    std::string host;
    uint16_t port = 0;
    if (!SplitListen(listen, &host, &port)) {
      return Fail(
          Error(dd::ErrorCode::kInvalidArgument, "listen_address_invalid", {{"address", listen}}));
    }
    if (tls_cert.empty() != tls_key.empty()) {
      return Fail(Error(dd::ErrorCode::kInvalidArgument, "tls_needs_both"));
    }
    auto app = OpenApp(db, !tls_cert.empty(), json_limit);
    if (!app.ok()) return Fail(app.error());
    auto& a = **app;
    if (demo) {
      const std::string demo_password = "dialdeck-demo";
      auto loaded = a.accounts().LoadDemo(demo_password);
      if (!loaded.ok()) return Fail(loaded.error());
      if (*loaded) {
        std::cout << "Demo company loaded. Users (password \"" << demo_password
                  << "\"): admin, manager, agent1, agent2, agent3\n"
                  << std::flush;
      }
    }
    auto boot = a.accounts().BootstrapAdmin();
    if (!boot.ok()) return Fail(boot.error());
    if (boot->has_value()) {
      std::cout << "\n  First start: created the administrator account.\n"
                << "    username: admin\n"
                << "    password: " << **boot << "\n"
                << "  This password works once: you must change it at first login.\n\n"
                << std::flush;
    }
    auto router = a.MakeRouter();
    dd::http::ServerOptions so;
    so.host = host;
    so.port = port;
    so.io_threads = io_threads;
    so.worker_threads = workers;
    so.tls_cert_file = tls_cert;
    so.tls_key_file = tls_key;
    dd::http::Server server(*router, so);
    if (auto s = server.Listen(); !s.ok()) return Fail(s.error());
    spdlog::info("event=listening url={}://{}:{} db={}", tls_cert.empty() ? "http" : "https", host,
                 server.port(), db);
    server.Run();
    return 0;
  }

  auto app = OpenApp(db);
  if (!app.ok()) return Fail(app.error());
  auto& a = **app;
  auto& acc = a.accounts();

  if (*migrate) {
    std::cout << "database is up to date: " << db << "\n";
    return 0;
  }
  if (*dep_add) {
    std::optional<int64_t> parent;
    if (!dep_parent.empty()) {
      auto p = acc.FindDepartmentByCode(dep_parent);
      if (!p.ok()) return Fail(Error(dd::ErrorCode::kInvalidArgument, "unknown_department"));
      parent = p->id;
    }
    auto d = acc.CreateDepartment(cli_actor, dep_code, dep_name, parent);
    if (!d.ok()) return Fail(d.error());
    std::cout << dd::accounts::DepartmentJson(*d).dump() << "\n";
    return 0;
  }
  if (*dep_list) {
    auto deps = acc.ListDepartments(cli_actor);
    if (!deps.ok()) return Fail(deps.error());
    for (const auto& d : *deps) std::cout << dd::accounts::DepartmentJson(d).dump() << "\n";
    return 0;
  }
  if (*user_add) {
    dd::accounts::NewUser nu;
    nu.username = u_name;
    nu.display_name = u_display;
    nu.role = u_role;
    nu.must_change_password = u_must_change;
    if (!u_dep.empty()) {
      auto d = acc.FindDepartmentByCode(u_dep);
      if (!d.ok()) return Fail(Error(dd::ErrorCode::kInvalidArgument, "unknown_department"));
      nu.department_id = d->id;
    }
    nu.password = ReadPasswordLine();
    auto u = acc.CreateUser(cli_actor, nu);
    if (!u.ok()) return Fail(u.error());
    std::cout << dd::accounts::UserJson(*u).dump() << "\n";
    return 0;
  }
  if (*user_list) {
    auto users = acc.ListUsers(cli_actor);
    if (!users.ok()) return Fail(users.error());
    for (const auto& u : *users) std::cout << dd::accounts::UserJson(u).dump() << "\n";
    return 0;
  }
  if (*user_passwd || *user_disable || *user_enable) {
    auto u = acc.FindUserByName(u_name);
    if (!u.ok()) return Fail(u.error());
    dd::accounts::UserPatch p;
    if (*user_passwd) p.password = ReadPasswordLine();
    if (*user_disable) p.active = false;
    if (*user_enable) p.active = true;
    auto r = acc.UpdateUser(cli_actor, u->id, p);
    if (!r.ok()) return Fail(r.error());
    std::cout << dd::accounts::UserJson(*r).dump() << "\n";
    return 0;
  }
  if (*token_create) {
    std::string as_user = t_user;
    std::string label = t_name;
    if (as_user.empty()) {
      if (acc.FindUserByName(t_name).ok()) {
        as_user = t_name;
      } else {
        auto users = acc.ListUsers(cli_actor);
        if (!users.ok()) return Fail(users.error());
        for (const auto& u : *users) {
          if (u.role == dd::Role::kAdmin && u.active) {
            as_user = u.username;
            break;
          }
        }
        if (as_user.empty()) return Fail(dd::NotFound("user"));
        std::cerr << "dialdeck: no user named \"" << t_name << "\": token labelled \"" << t_name
                  << "\" acts as admin user \"" << as_user << "\" (use --user to choose)\n";
      }
    }
    auto t = acc.CreateToken(cli_actor, as_user, label);
    if (!t.ok()) return Fail(t.error());
    std::cout << *t << "\n";
    return 0;
  }
  if (*token_list) {
    auto ts = acc.ListTokens();
    if (!ts.ok()) return Fail(ts.error());
    for (const auto& t : *ts) {
      std::cout << json{{"id", t.id},
                        {"name", t.name},
                        {"user", t.username},
                        {"created_at", dd::FormatIso8601(t.created_at)},
                        {"revoked", t.revoked_at.has_value()}}
                       .dump()
                << "\n";
    }
    return 0;
  }
  if (*token_revoke) {
    auto s = acc.RevokeToken(cli_actor, t_id);
    if (!s.ok()) return Fail(s.error());
    return 0;
  }
  if (*audit_verify) {
    auto conn = a.db().Acquire();
    if (!conn.ok()) return Fail(conn.error());
    auto rep = a.audit().Verify(**conn);
    if (!rep.ok()) return Fail(rep.error());
    if (rep->ok) {
      std::cout << "audit chain intact: " << rep->checked << " entries\n";
      return 0;
    }
    std::cerr << "audit chain BROKEN at entry " << *rep->first_broken_id << " (" << rep->problem
              << "); " << rep->checked << " entries before it are intact\n";
    return 2;
  }
  if (*audit_list) {
    auto conn = a.db().Acquire();
    if (!conn.ok()) return Fail(conn.error());
    dd::audit::ListFilter f;
    f.limit = a_limit;
    auto entries = a.audit().List(**conn, f);
    if (!entries.ok()) return Fail(entries.error());
    for (const auto& e : *entries) {
      std::cout << e.id << "  " << dd::FormatIso8601(e.at) << "  " << e.actor << "  " << e.action
                << "  " << e.target << "  " << e.ip << "  " << e.detail << "\n";
    }
    return 0;
  }
  return 0;
}
