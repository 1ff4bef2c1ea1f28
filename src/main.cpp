// dialdeck: the command line. `dialdeck serve` runs the web application;
// the other commands administer the same database from a shell.
#include <fcntl.h>
#include <mimalloc.h>
#include <sodium.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/allocator.hpp"
#include "app/app.hpp"
#include "core/crypto.hpp"
#include "core/i18n.hpp"
#include "core/scheduler.hpp"
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

// Set from the command line before any OpenApp (global options of every command).
dd::app::VaultOptions g_vault;

dd::Result<std::unique_ptr<dd::app::App>> OpenApp(const std::string& db, bool tls = false,
                                                  size_t json_limit = 1 << 20,
                                                  size_t upload_limit = 256u << 20,
                                                  const std::string& clock_file = "") {
  dd::app::AppOptions o;
  o.db_url = db;
  o.vault = g_vault;
  o.tls = tls;
  o.json_body_limit = json_limit;
  o.upload_body_limit = upload_limit;
  if (!clock_file.empty())
    return dd::app::App::Open(o, std::make_unique<dd::FileClock>(clock_file));
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

// Reads the whole file into memory (the only copy we make), imports it,
// wipes the memory, and with --shred-source overwrites and removes the file.
int RunImport(dd::app::App& app, const dd::Actor& actor, const std::string& file,
              const std::string& name, const std::string& quality, const std::string& source,
              const std::string& consent, int64_t retention, const std::string& map,
              const std::string& sheet, bool dry_run, bool as_json, bool shred) {
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Fail(Error(dd::ErrorCode::kNotFound, "file_not_found", {{"file", file}}));
    in.seekg(0, std::ios::end);
    bytes.resize(static_cast<size_t>(in.tellg()));
    in.seekg(0);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  dd::intake::ImportRequest req;
  req.filename = std::filesystem::path(file).filename().string();
  req.bytes = bytes;
  req.batch_name = name;
  req.quality = quality;
  req.source = source;
  req.consent_note = consent;
  if (retention >= 0) req.retention_days = retention;
  req.mapping_spec = map;
  req.sheet = sheet;
  req.dry_run = dry_run;
  auto report = app.intake().Import(actor, req);
  sodium_memzero(bytes.data(), bytes.size());
  if (!report.ok()) return Fail(report.error());
  if (as_json) {
    std::cout << report->dump() << "\n";
  } else {
    const auto& r = *report;
    std::cout << (dry_run ? "dry run (nothing stored)" : "batch " + r["batch_id"].dump()) << ": "
              << r["rows"] << " rows: " << r["imported"] << " imported, " << r["invalid"]
              << " invalid, " << r["duplicate_in_file"] << " duplicate in file, "
              << r["duplicate_existing"] << " duplicate of existing, " << r["dnc"]
              << " do-not-call (" << r["elapsed_ms"] << " ms)\n";
  }
  if (shred && !dry_run) {
    std::error_code ec;
    auto size = std::filesystem::file_size(file, ec);
    if (!ec) {
      std::ofstream out(file, std::ios::binary | std::ios::in | std::ios::out);
      std::string zeros(64 * 1024, '\0');
      for (uintmax_t done = 0; done < size; done += zeros.size()) {
        out.write(zeros.data(),
                  static_cast<std::streamsize>(std::min<uintmax_t>(zeros.size(), size - done)));
      }
      out.flush();
    }
    int fd = ::open(file.c_str(), O_WRONLY);
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
    if (!std::filesystem::remove(file, ec)) {
      return Fail(Error(dd::ErrorCode::kInternal, "shred_failed", {{"file", file}}));
    }
  }
  return 0;
}

// The selection of `dialdeck purge`: exactly one of --batch, --before, --all,
// and --yes. Checked before the database is opened, so a refused purge
// touches nothing.
dd::Result<dd::lifecycle::Selection> PurgeSelection(const std::vector<int64_t>& batches,
                                                    const std::string& before, bool all, bool yes) {
  using Kind = dd::lifecycle::Selection::Kind;
  const int scopes = (batches.empty() ? 0 : 1) + (before.empty() ? 0 : 1) + (all ? 1 : 0);
  if (scopes != 1) return Error(dd::ErrorCode::kInvalidArgument, "purge_scope_required");
  dd::lifecycle::Selection sel;
  if (!batches.empty()) {
    sel.kind = Kind::kBatches;
    sel.ids = batches;
    std::sort(sel.ids.begin(), sel.ids.end());
    sel.ids.erase(std::unique(sel.ids.begin(), sel.ids.end()), sel.ids.end());
    if (sel.ids.front() <= 0) return dd::InvalidArgument("invalid_field", {{"field", "--batch"}});
  } else if (!before.empty()) {
    auto day = dd::lifecycle::ParseDay(before);
    if (!day) return dd::InvalidArgument("invalid_date", {{"field", "--before"}});
    sel.kind = Kind::kCreatedRange;
    sel.to = *day;
  } else {
    sel.kind = Kind::kAll;
  }
  if (!yes) return Error(dd::ErrorCode::kInvalidArgument, "purge_needs_yes");
  return sel;
}

// `dialdeck purge`: destroys leads for good (no recycle bin), then compacts
// the database file.
int RunPurge(dd::app::App& app, const dd::Actor& actor, const dd::lifecycle::Selection& sel,
             bool as_json) {
  auto counts = app.lifecycle().Purge(actor, sel);
  if (!counts.ok()) return Fail(counts.error());
  if (as_json) {
    std::cout << counts->ToJson().dump() << "\n";
  } else {
    std::cout << "purged: " << counts->leads << " leads, " << counts->call_log
              << " call log entries, " << counts->batches << " batches, " << counts->import_rejects
              << " rejected rows\n";
  }
  if (!counts->vacuumed) return Fail(Error(dd::ErrorCode::kUnavailable, "purge_not_compacted"));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  dd::app::TuneAllocator();
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
  std::string key_file;
  bool no_encryption = false;
  auto add_db = [&db, &key_file, &no_encryption](CLI::App* c) {
    c->add_option("--db", db, "SQLite database file (or, later, postgres://...)")
        ->envname("DIALDECK_DB")
        ->capture_default_str();
    c->add_option("--key-file", key_file,
                  "Encryption key file (default: the database path + .key; created with mode "
                  "0600 on first start). DIALDECK_KEY (64 hex characters) overrides it.")
        ->envname("DIALDECK_KEY_FILE");
    c->add_flag("--no-encryption", no_encryption,
                "Store phone numbers unencrypted (only when the database is created)");
  };

  // serve
  auto* serve = cli.add_subcommand("serve", "Run the web application");
  add_db(serve);
  std::string listen = "127.0.0.1:8080";
  bool demo = false;
  std::string tls_cert, tls_key, log_level = "info";
  int io_threads = 1, workers = 16;
  size_t json_limit = 1 << 20;
  size_t upload_limit = 256u << 20;
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
  serve
      ->add_option("--max-upload-body", upload_limit,
                   "Largest upload (lead file) in bytes (413 past it)")
      ->capture_default_str();
  std::string clock_file;
  serve->add_option("--clock-file", clock_file,
                    "Testing aid: read the current time (Unix seconds) from this file");
  int scheduler_interval = 3600;
  serve
      ->add_option("--scheduler-interval", scheduler_interval,
                   "Seconds between runs of the background jobs (retention purge, pool "
                   "recycling); 0: off")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  serve->add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();

  // migrate
  auto* rotate = cli.add_subcommand(
      "rotate-key",
      "Re-encrypt every phone number under a new key and replace the key file (stop the server "
      "first; back up the new key file)");
  add_db(rotate);
  bool rotate_json = false;
  rotate->add_flag("--json", rotate_json, "Print the counts as JSON");

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

  // import
  auto* imp =
      cli.add_subcommand("import", "Import a lead list (.xlsx .xls .csv .txt) as a new batch");
  add_db(imp);
  std::string i_file, i_name, i_quality = "B", i_source, i_consent, i_map, i_sheet;
  int64_t i_retention = -1;
  bool i_dry = false, i_json = false, i_shred = false;
  imp->add_option("FILE", i_file, "The lead file")->required();
  imp->add_option("--batch-name", i_name, "Batch name (default: the file name)");
  imp->add_option("--quality", i_quality, "Quality tier A, B or C")
      ->check(CLI::IsMember({"A", "B", "C"}))
      ->capture_default_str();
  imp->add_option("--source", i_source, "Where the list comes from");
  imp->add_option("--consent", i_consent, "Lawful basis or consent behind the list");
  imp->add_option("--retention-days", i_retention, "Days to keep the batch's leads (0: keep)");
  imp->add_option("--map", i_map,
                  "Column mapping, e.g. phone=电话,name=3,area=E (names, numbers or letters)");
  imp->add_option("--sheet", i_sheet, "Sheet name (default: the first visible sheet)");
  imp->add_flag("--dry-run", i_dry, "Compute the full report and store nothing");
  imp->add_flag("--json", i_json, "Print the report as one JSON object");
  imp->add_flag("--shred-source", i_shred, "After a successful import, overwrite and remove FILE");

  // settings
  auto* set = cli.add_subcommand("settings", "Run-time settings");
  set->require_subcommand(1);
  auto* set_list = set->add_subcommand("list", "Show every setting with its value and default");
  add_db(set_list);
  auto* set_set = set->add_subcommand("set", "Change a setting");
  add_db(set_set);
  std::string s_key, s_value;
  set_set->add_option("KEY", s_key, "Setting name (see settings list)")->required();
  set_set->add_option("VALUE", s_value, "New value")->required();

  // levels, agents, deals
  auto* level = cli.add_subcommand("level", "Agent levels (金牌, 钻石 ...) and their weights");
  level->require_subcommand(1);
  auto* level_set = level->add_subcommand("set", "Create or change a level");
  add_db(level_set);
  std::string l_name;
  double l_weight = 1;
  level_set->add_option("NAME", l_name, "Level name")->required();
  level_set->add_option("--weight", l_weight, "Dealing weight (> 0)")->required();
  auto* level_list = level->add_subcommand("list", "List levels");
  add_db(level_list);
  auto* user_set = user->add_subcommand("set", "Set an agent's level, weight or status");
  add_db(user_set);
  std::string us_level, us_status;
  double us_weight = 0;
  user_set->add_option("NAME", u_name, "Login name")->required();
  user_set->add_option("--level", us_level, "Level name (\"\" clears)");
  user_set->add_option("--weight", us_weight, "Per-agent weight override (0 clears)");
  user_set->add_option("--status", us_status, "active or paused")
      ->check(CLI::IsMember({"active", "paused"}));
  auto* deal =
      cli.add_subcommand("deal", "Deal leads to agents (prints shares; --preview stores nothing)");
  add_db(deal);
  std::vector<int64_t> d_batches, d_agents;
  std::string d_strategy = "even";
  bool d_preview = false, d_json = false, d_pool = false;
  deal->add_option("--batch", d_batches, "Batch id (repeatable)");
  deal->add_flag("--pool", d_pool, "Deal all unassigned leads");
  deal->add_option("--strategy", d_strategy, "even, weighted or quality")
      ->check(CLI::IsMember({"even", "weighted", "quality"}))
      ->capture_default_str();
  deal->add_option("--agent", d_agents, "Agent user id (repeatable; default: all active agents)");
  deal->add_flag("--preview", d_preview, "Show the shares, deal nothing");
  deal->add_flag("--json", d_json, "Print JSON");

  // purge
  auto* purge = cli.add_subcommand(
      "purge",
      "Destroy leads for good (no recycle bin): of batches, imported before a day, or all");
  add_db(purge);
  std::vector<int64_t> p_batches;
  std::string p_before;
  bool p_all = false, p_yes = false, p_json = false;
  purge->add_option("--batch", p_batches, "Batch id (repeatable): its leads and the batch itself");
  purge->add_option("--before", p_before,
                    "Leads imported before this day, YYYY-MM-DD (China time), and the batches "
                    "imported before it that are left empty");
  purge->add_flag("--all", p_all, "Every lead and every batch");
  purge->add_flag("--yes", p_yes, "Confirm; without it nothing is destroyed");
  purge->add_flag("--json", p_json, "Print the counts as one JSON object");

  CLI11_PARSE(cli, argc, argv);
  g_vault.key_file = key_file;
  g_vault.no_encryption = no_encryption;
  if (const char* k = std::getenv("DIALDECK_KEY")) g_vault.key_hex = k;

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
    auto app = OpenApp(db, !tls_cert.empty(), json_limit, upload_limit, clock_file);
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
    // The allocator is mimalloc (linked in, it replaces malloc process-wide).
    spdlog::info("event=listening url={}://{}:{} db={} allocator=mimalloc-{}",
                 tls_cert.empty() ? "http" : "https", host, server.port(), db, mi_version());
    // Background jobs: the retention purge (定时自焚), the pool's recycling
    // (公海回收) and the sweep of stale queue rows, at start and then every
    // --scheduler-interval seconds.
    dd::Scheduler jobs{std::chrono::seconds(scheduler_interval)};
    if (scheduler_interval > 0) {
      jobs.Add("retention", [&a] {
        auto r = a.lifecycle().RunRetention();
        if (!r.ok()) {
          spdlog::warn("event=retention_failed reason={} internal=\"{}\"", r.error().reason,
                       r.error().internal);
        }
      });
      jobs.Add("pool_recycle", [&a] {
        auto r = a.pool().Run(nullptr);
        if (!r.ok()) {
          spdlog::warn("event=pool_recycle_failed reason={} internal=\"{}\"", r.error().reason,
                       r.error().internal);
        }
      });
      // Queue rows a crash left stale before the desk swept them.
      jobs.Add("queue_sweep", [&a] {
        if (dd::Status s = a.desk().SweepQueues(); !s.ok()) {
          spdlog::warn("event=queue_sweep_failed internal=\"{}\"", s.error().internal);
        }
      });
      jobs.Start();
    }
    server.Run();
    jobs.Stop();
    return 0;
  }

  std::optional<dd::lifecycle::Selection> purge_sel;
  if (*purge) {
    auto sel = PurgeSelection(p_batches, p_before, p_all, p_yes);
    if (!sel.ok()) return Fail(sel.error());
    purge_sel = std::move(sel).value();
  }
  auto app = OpenApp(db);
  if (!app.ok()) return Fail(app.error());
  auto& a = **app;
  auto& acc = a.accounts();

  if (*imp) {
    return RunImport(a, cli_actor, i_file, i_name, i_quality, i_source, i_consent, i_retention,
                     i_map, i_sheet, i_dry, i_json, i_shred);
  }
  if (*level_set) {
    auto r = a.dealing().SetLevel(cli_actor, l_name, l_weight);
    if (!r.ok()) return Fail(r.error());
    std::cout << r->dump() << "\n";
    return 0;
  }
  if (*level_list) {
    auto r = a.dealing().ListLevels();
    if (!r.ok()) return Fail(r.error());
    for (const auto& l : (*r)["items"]) std::cout << l.dump() << "\n";
    return 0;
  }
  if (*user_set) {
    auto u = acc.FindUserByName(u_name);
    if (!u.ok()) return Fail(u.error());
    std::optional<std::string> lv;
    if (user_set->count("--level")) lv = us_level;
    std::optional<std::optional<double>> w;
    if (user_set->count("--weight"))
      w = us_weight > 0 ? std::optional<double>(us_weight) : std::nullopt;
    std::optional<std::string> st;
    if (!us_status.empty()) st = us_status;
    auto r = a.dealing().UpdateAgent(cli_actor, u->id, lv, w, st);
    if (!r.ok()) return Fail(r.error());
    std::cout << r->dump() << "\n";
    return 0;
  }
  if (*purge) return RunPurge(a, cli_actor, *purge_sel, p_json);
  if (*deal) {
    dd::dealing::DealRequest req;
    req.batch_ids = d_batches;
    req.pool = d_pool;
    req.strategy = d_strategy;
    req.agent_ids = d_agents;
    auto r = a.dealing().Deal(cli_actor, req, !d_preview, CliLanguage());
    if (!r.ok()) return Fail(r.error());
    if (d_json) {
      std::cout << r->dump() << "\n";
    } else {
      const auto& j = *r;
      std::cout << (d_preview ? "preview" : "deal " + j["deal_id"].dump()) << ": " << j["total"]
                << " leads, strategy " << j["strategy"].get<std::string>() << ", seed "
                << j["seed"].get<std::string>() << "\n";
      for (const auto& s : j["shares"]) {
        std::cout << "  " << s["username"].get<std::string>() << "  " << s["count"] << "  (A "
                  << s["by_quality"]["A"] << ", B " << s["by_quality"]["B"] << ", C "
                  << s["by_quality"]["C"] << ")\n";
      }
      for (const auto& w : j["warnings"])
        std::cout << "  ! " << w["detail"].get<std::string>() << "\n";
    }
    return 0;
  }
  if (*set_list) {
    auto entries = a.settings().List();
    if (!entries.ok()) return Fail(entries.error());
    for (const auto& e : *entries) {
      std::cout << e.def->key << " = " << e.value
                << (e.is_default ? "  (default)"
                                 : "  (default: " + std::string(e.def->default_value) + ")")
                << "\n";
    }
    return 0;
  }
  if (*set_set) {
    auto st = a.settings().Set(cli_actor, s_key, s_value);
    if (!st.ok()) return Fail(st.error());
    std::cout << s_key << " = " << s_value << "\n";
    return 0;
  }
  if (*rotate) {
    auto r = a.RotateKey();
    if (!r.ok()) return Fail(r.error());
    if (rotate_json) {
      std::cout
          << nlohmann::json{{"leads", r->leads}, {"dnc", r->dnc}, {"key_file", r->key_file}}.dump()
          << "\n";
    } else {
      std::cout << "re-encrypted " << r->leads << " leads and " << r->dnc
                << " do-not-call numbers; new key in " << r->key_file
                << " (back it up: without it the numbers cannot be read)\n";
    }
    return 0;
  }
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
