#include "db/database.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <ctime>

#include "core/embedded.hpp"

namespace dd::db {

int64_t Value::AsInt() const {
  switch (type_) {
    case Type::kInt: return i_;
    case Type::kReal: return static_cast<int64_t>(d_);
    case Type::kText:
    case Type::kBlob: {
      int64_t v = 0;
      std::from_chars(s_.data(), s_.data() + s_.size(), v);
      return v;
    }
    case Type::kNull: return 0;
  }
  return 0;
}

double Value::AsReal() const {
  switch (type_) {
    case Type::kInt: return static_cast<double>(i_);
    case Type::kReal: return d_;
    case Type::kText:
    case Type::kBlob: return std::strtod(s_.c_str(), nullptr);
    case Type::kNull: return 0;
  }
  return 0;
}

std::string Value::AsText() const {
  switch (type_) {
    case Type::kInt: return std::to_string(i_);
    case Type::kReal: return std::to_string(d_);
    case Type::kText:
    case Type::kBlob: return s_;
    case Type::kNull: return "";
  }
  return "";
}

std::optional<int64_t> Row::OptInt(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Int(i);
}

std::optional<std::string> Row::OptText(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Text(i);
}

Result<std::optional<Row>> Connection::QueryOne(std::string_view sql, const Params& params) {
  DD_ASSIGN_OR_RETURN(auto rows, Query(sql, params));
  if (rows.empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows.front()));
}

namespace {
thread_local int t_desk_writer = 0;
thread_local int t_no_acquire_hook = 0;
}  // namespace

bool CacheNeutralTable(std::string_view t) {
  return t == "sessions" || t == "api_tokens" || t == "login_failures" || t == "login_locks" ||
         t == "audit_log" || t == "sqlite_sequence" || t == "call_log" || t == "alerts" ||
         t == "desk_unmasks" || t == "schema_migrations";
}

DeskWriterScope::DeskWriterScope() { ++t_desk_writer; }
DeskWriterScope::~DeskWriterScope() { --t_desk_writer; }
bool DeskWriterScope::Active() { return t_desk_writer > 0; }
NoAcquireHookScope::NoAcquireHookScope() { ++t_no_acquire_hook; }
NoAcquireHookScope::~NoAcquireHookScope() { --t_no_acquire_hook; }
bool NoAcquireHookScope::Active() { return t_no_acquire_hook > 0; }

Lease::~Lease() {
  if (db_ && conn_) db_->Release(std::move(conn_));
}

Status WithTransaction(Connection& conn, bool write, const std::function<Status()>& fn) {
  DD_RETURN_IF_ERROR(conn.Begin(write));
  Status s = fn();
  if (!s.ok()) {
    conn.Rollback();
    return s;
  }
  Status c = conn.Commit();
  if (!c.ok()) conn.Rollback();
  return c;
}

Status Connection::GroupedWriteTransaction(const std::function<Status()>& fn) {
  return WithTransaction(*this, true, fn);
}

Status WithGroupedTransaction(Connection& conn, const std::function<Status()>& fn) {
  return conn.GroupedWriteTransaction(fn);
}

Result<int> Migrate(Database& db) {
  DD_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  DD_RETURN_IF_ERROR(
      conn->ExecScript("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                       "name TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
  int applied = 0;
  for (const auto& f : embed::migrations()) {
    // "/0001_init.sql" -> version 1
    std::string_view name = f.path.substr(1);
    int version = 0;
    auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), version);
    if (ec != std::errc() || version <= 0) continue;
    DD_ASSIGN_OR_RETURN(
        auto done, conn->QueryOne("SELECT 1 FROM schema_migrations WHERE version = ?", {version}));
    if (done) continue;
    bool raced = false;
    Status s = WithTransaction(*conn, true, [&]() -> Status {
      // Checked again under the write lock: another process (two CLI
      // commands on a new database) may have applied it meanwhile.
      DD_ASSIGN_OR_RETURN(
          auto again,
          conn->QueryOne("SELECT 1 FROM schema_migrations WHERE version = ?", {version}));
      if (again) {
        raced = true;
        return {};
      }
      DD_RETURN_IF_ERROR(conn->ExecScript(f.data));
      DD_RETURN_IF_ERROR(
          conn->Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                     {version, std::string(name), static_cast<int64_t>(std::time(nullptr))}));
      return {};
    });
    if (!s.ok()) return std::move(s).error();
    if (raced) continue;
    spdlog::info("event=migration_applied version={} name={}", version, name);
    ++applied;
  }
  return applied;
}

}  // namespace dd::db
