#include "modules/accounts/accounts_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/crypto.hpp"

namespace dd::accounts {
namespace {

using nlohmann::json;

constexpr std::string_view kUserColumns =
    "u.id, u.username, u.display_name, u.role, u.department_id, d.name, u.active, "
    "u.must_change_password, u.created_at";
constexpr std::string_view kUserFrom =
    " FROM users u LEFT JOIN departments d ON d.id = u.department_id ";

User UserFromRow(const db::Row& r) {
  User u;
  u.id = r.Int(0);
  u.username = r.Text(1);
  u.display_name = r.Text(2);
  u.role = ParseRole(r.Text(3)).value_or(Role::kAgent);
  u.department_id = r.OptInt(4);
  u.department_name = r.OptText(5);
  u.active = r.Bool(6);
  u.must_change_password = r.Bool(7);
  u.created_at = r.Int(8);
  return u;
}

Department DepartmentFromRow(const db::Row& r) {
  return Department{r.Int(0), r.Text(1), r.Text(2), r.OptInt(3), r.Int(4)};
}

// Number of UTF-8 code points, or npos for invalid UTF-8.
size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return std::string_view::npos;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return std::string_view::npos;
    }
    i += len;
    ++n;
  }
  return n;
}

const std::string& DummyHash() {
  static const std::string h = crypto::HashPassword(crypto::RandomToken(16));
  return h;
}

Error Conflict(std::string reason, std::map<std::string, std::string> args = {}) {
  return Error(ErrorCode::kConflict, std::move(reason), std::move(args));
}

}  // namespace

bool ValidUsername(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-' || c == '@';
  });
}

bool ValidDepartmentCode(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

bool ValidDisplayText(std::string_view s, size_t max_chars) {
  size_t n = Utf8Length(s);
  if (n == 0 || n == std::string_view::npos || n > max_chars) return false;
  // No control characters (they break logs, CSV exports and terminals).
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

Status AccountsService::CheckPassword(const std::string& password) const {
  if (password.size() < policy_.min_password_length) {
    return InvalidArgument("weak_password", {{"min", std::to_string(policy_.min_password_length)}});
  }
  if (password.size() > 1024) return InvalidArgument("password_too_long");
  return {};
}

Result<User> AccountsService::LoadUser(db::Connection& conn, int64_t id) {
  DD_ASSIGN_OR_RETURN(auto row, conn.QueryOne("SELECT " + std::string(kUserColumns) +
                                                  std::string(kUserFrom) + "WHERE u.id = ?",
                                              {id}));
  if (!row) return NotFound("user");
  return UserFromRow(*row);
}

Result<User> AccountsService::GetUser(int64_t id) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return LoadUser(*conn, id);
}

Result<User> AccountsService::FindUserByName(const std::string& username) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(auto row, conn->QueryOne("SELECT " + std::string(kUserColumns) +
                                                   std::string(kUserFrom) + "WHERE u.username = ?",
                                               {username}));
  if (!row) return NotFound("user");
  return UserFromRow(*row);
}

Result<Department> AccountsService::LoadDepartment(db::Connection& conn, int64_t id) {
  DD_ASSIGN_OR_RETURN(
      auto row,
      conn.QueryOne("SELECT id, code, name, parent_id, created_at FROM departments WHERE id = ?",
                    {id}));
  if (!row) return NotFound("department");
  return DepartmentFromRow(*row);
}

Result<Department> AccountsService::FindDepartmentByCode(const std::string& code) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(
      auto row,
      conn->QueryOne("SELECT id, code, name, parent_id, created_at FROM departments WHERE code = ?",
                     {code}));
  if (!row) return NotFound("department");
  return DepartmentFromRow(*row);
}

// ---------------------------------------------------------------- login

Status AccountsService::RecordFailure(db::Connection& conn, const std::string& username,
                                      const std::string& ip, int* failures_out) {
  const int64_t now = clock_.Now();
  const int64_t since = now - policy_.failure_window_s;
  DD_RETURN_IF_ERROR(conn.Exec("INSERT INTO login_failures (username, ip, at) VALUES (?, ?, ?)",
                               {username, ip, now}));
  DD_ASSIGN_OR_RETURN(
      auto by_user,
      conn.QueryOne("SELECT COUNT(*) FROM login_failures WHERE username = ? AND at > ?",
                    {username, since}));
  DD_ASSIGN_OR_RETURN(
      auto by_ip,
      conn.QueryOne("SELECT COUNT(*) FROM login_failures WHERE ip = ? AND at > ?", {ip, since}));
  const int user_failures = static_cast<int>(by_user->Int(0));
  const int ip_failures = static_cast<int>(by_ip->Int(0));
  *failures_out = user_failures;
  audit::Entry failed{std::nullopt,       username, "login.failed",
                      "user:" + username, ip,       json{{"failures", user_failures}}};
  DD_RETURN_IF_ERROR(audit_.Append(conn, failed));

  auto lock = [&](std::string_view kind, const std::string& key, int failures) -> Status {
    DD_RETURN_IF_ERROR(
        conn.Exec("INSERT INTO login_locks (kind, lock_key, locked_until) VALUES (?, ?, ?) "
                  "ON CONFLICT (kind, lock_key) DO UPDATE SET locked_until = excluded.locked_until",
                  {kind, key, now + policy_.lock_s}));
    // The count starts again after the lock.
    DD_RETURN_IF_ERROR(conn.Exec(kind == "username"
                                     ? "DELETE FROM login_failures WHERE username = ?"
                                     : "DELETE FROM login_failures WHERE ip = ?",
                                 {key}));
    audit::Entry locked{std::nullopt,
                        "system",
                        "login.locked",
                        std::string(kind) + ":" + key,
                        ip,
                        json{{"failures", failures}, {"locked_for_s", policy_.lock_s}}};
    DD_RETURN_IF_ERROR(audit_.Append(conn, locked));
    spdlog::warn("event=login_locked kind={} key={} failures={} ip={} locked_for_s={}", kind, key,
                 failures, ip, policy_.lock_s);
    return {};
  };
  if (user_failures >= policy_.max_failures_per_user) {
    DD_RETURN_IF_ERROR(lock("username", username, user_failures));
  }
  if (ip_failures >= policy_.max_failures_per_ip) {
    DD_RETURN_IF_ERROR(lock("ip", ip, ip_failures));
  }
  return {};
}

Result<LoginResult> AccountsService::Login(const std::string& username, const std::string& password,
                                           const std::string& ip, const std::string& user_agent) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  const int64_t now = clock_.Now();

  for (auto [kind, key] : {std::pair<std::string_view, std::string>{"username", username},
                           std::pair<std::string_view, std::string>{"ip", ip}}) {
    DD_ASSIGN_OR_RETURN(
        auto lock,
        conn->QueryOne("SELECT locked_until FROM login_locks WHERE kind = ? AND lock_key = ?",
                       {kind, key}));
    if (lock && lock->Int(0) > now) {
      const int64_t left = lock->Int(0) - now;
      Error e = kind == "username" ? Error(ErrorCode::kLocked, "account_locked",
                                           {{"minutes", std::to_string((left + 59) / 60)}})
                                   : Error(ErrorCode::kRateLimited, "too_many_attempts",
                                           {{"minutes", std::to_string((left + 59) / 60)}});
      e.retry_after_s = static_cast<int>(left);
      return e;
    }
  }

  DD_ASSIGN_OR_RETURN(
      auto row,
      conn->QueryOne("SELECT id, password_hash, active FROM users WHERE username = ?", {username}));
  const bool password_ok =
      crypto::VerifyPassword(row ? row->Text(1) : DummyHash(), password) && row.has_value();

  if (!password_ok) {
    int failures = 0;
    DD_RETURN_IF_ERROR(db::WithTransaction(
        *conn, true, [&]() -> Status { return RecordFailure(*conn, username, ip, &failures); }));
    Error e(ErrorCode::kUnauthenticated, "invalid_credentials");
    if (failures > policy_.slow_down_after) {
      e.delay = std::chrono::milliseconds(
          std::min<int64_t>(2000, 250 * (failures - policy_.slow_down_after)));
    }
    return e;
  }
  const int64_t user_id = row->Int(0);
  if (!row->Bool(2)) return Error(ErrorCode::kPermissionDenied, "account_disabled");

  LoginResult result;
  result.session_token = crypto::RandomToken(32);
  result.csrf_token = crypto::RandomToken(32);
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    DD_RETURN_IF_ERROR(conn->Exec("DELETE FROM login_failures WHERE username = ?", {username}));
    DD_RETURN_IF_ERROR(conn->Exec(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, "
        "expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {crypto::Sha256Hex(result.session_token), user_id, result.csrf_token, now, now,
         now + policy_.session_absolute_s, ip, user_agent.substr(0, 256)}));
    audit::Entry e{user_id, username,
                   "login", "user:" + std::to_string(user_id),
                   ip,      json{{"user_agent", user_agent.substr(0, 256)}}};
    return audit_.Append(*conn, e);
  }));
  DD_ASSIGN_OR_RETURN(result.user, LoadUser(*conn, user_id));
  return result;
}

Status AccountsService::Logout(const Actor& actor) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  Status done = db::WithTransaction(*conn, true, [&]() -> Status {
    if (actor.session_id > 0) {
      DD_RETURN_IF_ERROR(conn->Exec("UPDATE sessions SET revoked_at = ? WHERE id = ?",
                                    {clock_.Now(), actor.session_id}));
    }
    return audit_.Append(
        *conn, audit::Entry::By(actor, "logout", "user:" + std::to_string(actor.user_id)));
  });
  ForgetSessions();
  return done;
}

namespace {
constexpr auto kSessionCacheTtl = std::chrono::seconds(1);
constexpr size_t kSessionCacheMax = 100000;
constexpr int64_t kTouchEveryS = 60;  // last_seen_at is written at most this often
}  // namespace

std::optional<Actor> AccountsService::CachedActor(const std::string& token_hash, int64_t now) {
  std::lock_guard lock(sessions_mu_);
  auto it = sessions_.find(token_hash);
  if (it == sessions_.end()) return std::nullopt;
  const CachedSession& s = it->second;
  // Stale, expired, idle too long, or due to be touched: ask the database.
  if (std::chrono::steady_clock::now() - s.checked >= kSessionCacheTtl || now >= s.expires_at ||
      now - s.last_seen_at >= kTouchEveryS) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return s.actor;
}

void AccountsService::CacheActor(const std::string& token_hash, const CachedSession& s,
                                 uint64_t generation) {
  std::lock_guard lock(sessions_mu_);
  // A change committed while the database was being read: not cached.
  if (generation != sessions_generation_.load()) return;
  if (sessions_.size() >= kSessionCacheMax) sessions_.clear();
  sessions_[token_hash] = s;
}

void AccountsService::ForgetSessions() {
  std::lock_guard lock(sessions_mu_);
  ++sessions_generation_;
  sessions_.clear();
}

std::optional<Actor> AccountsService::SessionWithoutWriting(const std::string& token,
                                                            const std::string& ip) {
  auto r = LookUpSession(token, ip, /*may_touch=*/false);
  return r.ok() ? std::move(*r) : std::nullopt;
}

Result<std::optional<Actor>> AccountsService::AuthenticateSession(const std::string& token,
                                                                  const std::string& ip) {
  return LookUpSession(token, ip, /*may_touch=*/true);
}

Result<std::optional<Actor>> AccountsService::LookUpSession(const std::string& token,
                                                            const std::string& ip, bool may_touch) {
  if (token.empty() || token.size() > 128) return std::optional<Actor>();
  const std::string token_hash = crypto::Sha256Hex(token);
  const int64_t now = clock_.Now();
  if (auto hit = CachedActor(token_hash, now)) {
    hit->ip = ip;
    return hit;
  }
  const uint64_t generation = sessions_generation_.load();
  db::NoAcquireHookScope sessions_only;  // sessions do not wait for the desk's journal
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(
      auto row,
      conn->QueryOne(
          "SELECT s.id, s.user_id, s.csrf_token, s.last_seen_at, s.expires_at, u.username, u.role, "
          "u.department_id, u.active, u.must_change_password FROM sessions s "
          "JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.revoked_at IS NULL",
          {token_hash}));
  if (!row) return std::optional<Actor>();
  if (now >= row->Int(4) || now - row->Int(3) >= policy_.session_idle_s || !row->Bool(8)) {
    return std::optional<Actor>();
  }
  int64_t last_seen = row->Int(3);
  if (now - last_seen >= kTouchEveryS) {
    if (!may_touch) return std::optional<Actor>();
    DD_RETURN_IF_ERROR(
        conn->Exec("UPDATE sessions SET last_seen_at = ? WHERE id = ?", {now, row->Int(0)}));
    last_seen = now;
  }
  Actor a;
  a.session_id = row->Int(0);
  a.user_id = row->Int(1);
  a.csrf_token = row->Text(2);
  a.username = row->Text(5);
  a.role = ParseRole(row->Text(6)).value_or(Role::kAgent);
  a.department_id = row->OptInt(7);
  a.must_change_password = row->Bool(9);
  a.via_cookie = true;
  // The idle limit counts from the last touch, which is at most a minute old.
  CacheActor(token_hash,
             {a, std::min(row->Int(4), last_seen + policy_.session_idle_s), last_seen,
              std::chrono::steady_clock::now()},
             generation);
  a.ip = ip;
  return std::optional<Actor>(std::move(a));
}

Result<std::optional<Actor>> AccountsService::AuthenticateToken(const std::string& token,
                                                                const std::string& ip) {
  if (token.empty() || token.size() > 128) return std::optional<Actor>();
  db::NoAcquireHookScope tokens_only;  // tokens do not wait for the desk's journal
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(
      auto row,
      conn->QueryOne(
          "SELECT t.id, t.user_id, t.last_used_at, u.username, u.role, u.department_id, u.active, "
          "u.must_change_password "
          "FROM api_tokens t JOIN users u ON u.id = t.user_id "
          "WHERE t.token_hash = ? AND t.revoked_at IS NULL",
          {crypto::Sha256Hex(token)}));
  if (!row || !row->Bool(6)) return std::optional<Actor>();
  const int64_t now = clock_.Now();
  if (row->IsNull(2) || now - row->Int(2) >= 60) {
    DD_RETURN_IF_ERROR(
        conn->Exec("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", {now, row->Int(0)}));
  }
  Actor a;
  a.user_id = row->Int(1);
  a.username = row->Text(3);
  a.role = ParseRole(row->Text(4)).value_or(Role::kAgent);
  a.department_id = row->OptInt(5);
  a.must_change_password = row->Bool(7);
  a.ip = ip;
  return std::optional<Actor>(std::move(a));
}

Status AccountsService::ChangePassword(const Actor& actor, const std::string& current,
                                       const std::string& next) {
  DD_RETURN_IF_ERROR(CheckPassword(next));
  if (next == current) return InvalidArgument("password_unchanged");
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(
      auto row, conn->QueryOne("SELECT password_hash FROM users WHERE id = ?", {actor.user_id}));
  if (!row) return NotFound("user");
  if (!crypto::VerifyPassword(row->Text(0), current)) {
    return InvalidArgument("wrong_current_password");
  }
  std::string hash = crypto::HashPassword(next);
  if (hash.empty()) return InternalError("argon2id failed");
  Status done = db::WithTransaction(*conn, true, [&]() -> Status {
    DD_RETURN_IF_ERROR(conn->Exec(
        "UPDATE users SET password_hash = ?, must_change_password = 0, updated_at = ? WHERE id = ?",
        {hash, clock_.Now(), actor.user_id}));
    // Other sessions of this user end; this one stays.
    DD_RETURN_IF_ERROR(conn->Exec(
        "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND id <> ? AND revoked_at IS NULL",
        {clock_.Now(), actor.user_id, actor.session_id}));
    return audit_.Append(*conn, audit::Entry::By(actor, "user.password_change",
                                                 "user:" + std::to_string(actor.user_id)));
  });
  ForgetSessions();
  return done;
}

// ---------------------------------------------------------------- tokens

Result<std::string> AccountsService::CreateToken(const Actor& actor, const std::string& username,
                                                 const std::string& name) {
  if (!ValidDisplayText(name, 64)) return InvalidArgument("invalid_field", {{"field", "name"}});
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(
      auto user, conn->QueryOne("SELECT id, active FROM users WHERE username = ?", {username}));
  if (!user) return NotFound("user");
  if (!user->Bool(1)) return Error(ErrorCode::kConflict, "account_disabled");
  std::string token = "ddt_" + crypto::RandomToken(32);
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    DD_ASSIGN_OR_RETURN(
        auto ins,
        conn->QueryOne(
            "INSERT INTO api_tokens (name, token_hash, user_id, created_at) VALUES (?, ?, ?, ?) "
            "RETURNING id",
            {name, crypto::Sha256Hex(token), user->Int(0), clock_.Now()}));
    return audit_.Append(
        *conn, audit::Entry::By(actor, "token.create", "token:" + std::to_string(ins->Int(0)),
                                json{{"name", name}, {"user", username}}));
  }));
  return token;
}

Result<std::vector<ApiToken>> AccountsService::ListTokens() {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(
      auto rows,
      conn->Query("SELECT t.id, t.name, u.username, t.created_at, t.last_used_at, t.revoked_at "
                  "FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id"));
  std::vector<ApiToken> out;
  for (const auto& r : rows) {
    out.push_back({r.Int(0), r.Text(1), r.Text(2), r.Int(3), r.OptInt(4), r.OptInt(5)});
  }
  return out;
}

Status AccountsService::RevokeToken(const Actor& actor, int64_t id) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return db::WithTransaction(*conn, true, [&]() -> Status {
    DD_ASSIGN_OR_RETURN(
        auto info,
        conn->Exec("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                   {clock_.Now(), id}));
    if (info.changes == 0) return NotFound("token");
    return audit_.Append(*conn,
                         audit::Entry::By(actor, "token.revoke", "token:" + std::to_string(id)));
  });
}

// ---------------------------------------------------------------- users

Result<std::vector<User>> AccountsService::ListUsers(const Actor& actor) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(
      auto rows,
      conn->Query(
          "WITH RECURSIVE sub(id) AS (SELECT id FROM departments WHERE id = ? "
          "UNION ALL SELECT d.id FROM departments d JOIN sub ON d.parent_id = sub.id) "
          "SELECT " +
              std::string(kUserColumns) + std::string(kUserFrom) +
              "WHERE ? = 'all' OR (? = 'department' AND u.department_id IN (SELECT id FROM sub)) "
              "OR u.id = ? ORDER BY u.id",
          {actor.department_id, ScopeName(actor.scope()), ScopeName(actor.scope()),
           actor.user_id}));
  std::vector<User> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(UserFromRow(r));
  return out;
}

Result<User> AccountsService::CreateUser(const Actor& actor, const NewUser& in) {
  if (!ValidUsername(in.username)) return InvalidArgument("invalid_username");
  const std::string display = in.display_name.empty() ? in.username : in.display_name;
  if (!ValidDisplayText(display, 64))
    return InvalidArgument("invalid_field", {{"field", "display_name"}});
  if (!ParseRole(in.role)) return InvalidArgument("invalid_role");
  DD_RETURN_IF_ERROR(CheckPassword(in.password));
  std::string hash = crypto::HashPassword(in.password);
  if (hash.empty()) return InternalError("argon2id failed");
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  int64_t id = 0;
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    if (in.department_id) {
      DD_ASSIGN_OR_RETURN(
          auto dep, conn->QueryOne("SELECT 1 FROM departments WHERE id = ?", {in.department_id}));
      if (!dep) return InvalidArgument("unknown_department");
    }
    DD_ASSIGN_OR_RETURN(auto taken,
                        conn->QueryOne("SELECT 1 FROM users WHERE username = ?", {in.username}));
    if (taken) return Conflict("username_taken", {{"username", in.username}});
    const int64_t now = clock_.Now();
    DD_ASSIGN_OR_RETURN(
        auto ins,
        conn->QueryOne(
            "INSERT INTO users (username, display_name, role, department_id, active, "
            "password_hash, "
            "must_change_password, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?) "
            "RETURNING id",
            {in.username, display, in.role, in.department_id, hash, in.must_change_password, now,
             now}));
    id = ins->Int(0);
    return audit_.Append(
        *conn, audit::Entry::By(actor, "user.create", "user:" + std::to_string(id),
                                json{{"username", in.username},
                                     {"role", in.role},
                                     {"department_id", in.department_id ? json(*in.department_id)
                                                                        : json(nullptr)}}));
  }));
  return LoadUser(*conn, id);
}

Result<User> AccountsService::UpdateUser(const Actor& actor, int64_t id, const UserPatch& p) {
  if (p.display_name && !ValidDisplayText(*p.display_name, 64)) {
    return InvalidArgument("invalid_field", {{"field", "display_name"}});
  }
  if (p.role && !ParseRole(*p.role)) return InvalidArgument("invalid_role");
  std::string hash;
  if (p.password) {
    DD_RETURN_IF_ERROR(CheckPassword(*p.password));
    hash = crypto::HashPassword(*p.password);
    if (hash.empty()) return InternalError("argon2id failed");
  }
  if (id == actor.user_id && ((p.active && !*p.active) || (p.role && *p.role != "admin"))) {
    return Conflict("cannot_demote_self");
  }
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    DD_ASSIGN_OR_RETURN(User before, LoadUser(*conn, id));
    json changes = json::object();
    const int64_t now = clock_.Now();
    if (p.display_name) {
      DD_RETURN_IF_ERROR(
          conn->Exec("UPDATE users SET display_name = ?, updated_at = ? WHERE id = ?",
                     {*p.display_name, now, id}));
      changes["display_name"] = *p.display_name;
    }
    if (p.role) {
      DD_RETURN_IF_ERROR(
          conn->Exec("UPDATE users SET role = ?, updated_at = ? WHERE id = ?", {*p.role, now, id}));
      changes["role"] = {{"from", RoleName(before.role)}, {"to", *p.role}};
    }
    if (p.department_id) {
      if (*p.department_id) {
        DD_ASSIGN_OR_RETURN(auto dep, conn->QueryOne("SELECT 1 FROM departments WHERE id = ?",
                                                     {**p.department_id}));
        if (!dep) return InvalidArgument("unknown_department");
      }
      DD_RETURN_IF_ERROR(
          conn->Exec("UPDATE users SET department_id = ?, updated_at = ? WHERE id = ?",
                     {*p.department_id, now, id}));
      changes["department_id"] = *p.department_id ? json(**p.department_id) : json(nullptr);
    }
    if (p.active) {
      DD_RETURN_IF_ERROR(conn->Exec("UPDATE users SET active = ?, updated_at = ? WHERE id = ?",
                                    {*p.active, now, id}));
      changes["active"] = *p.active;
      if (!*p.active) {
        DD_RETURN_IF_ERROR(conn->Exec(
            "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            {now, id}));
      }
    }
    if (p.password) {
      DD_RETURN_IF_ERROR(
          conn->Exec("UPDATE users SET password_hash = ?, must_change_password = 1, updated_at = ? "
                     "WHERE id = ?",
                     {hash, now, id}));
      DD_RETURN_IF_ERROR(
          conn->Exec("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                     {now, id}));
      changes["password"] = "reset";
    }
    return audit_.Append(
        *conn, audit::Entry::By(actor, "user.update", "user:" + std::to_string(id),
                                json{{"username", before.username}, {"changes", changes}}));
  }));
  ForgetSessions();
  return LoadUser(*conn, id);
}

// ---------------------------------------------------------------- departments

Result<std::vector<Department>> AccountsService::ListDepartments(const Actor& actor) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(
      auto rows,
      conn->Query("WITH RECURSIVE sub(id) AS (SELECT id FROM departments WHERE id = ? "
                  "UNION ALL SELECT d.id FROM departments d JOIN sub ON d.parent_id = sub.id) "
                  "SELECT id, code, name, parent_id, created_at FROM departments "
                  "WHERE ? = 'all' OR id IN (SELECT id FROM sub) ORDER BY code",
                  {actor.department_id, ScopeName(actor.scope())}));
  std::vector<Department> out;
  for (const auto& r : rows) out.push_back(DepartmentFromRow(r));
  return out;
}

Result<Department> AccountsService::CreateDepartment(const Actor& actor, const std::string& code,
                                                     const std::string& name,
                                                     std::optional<int64_t> parent_id) {
  if (!ValidDepartmentCode(code)) return InvalidArgument("invalid_department_code");
  if (!ValidDisplayText(name, 64)) return InvalidArgument("invalid_field", {{"field", "name"}});
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  int64_t id = 0;
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    if (parent_id) {
      DD_ASSIGN_OR_RETURN(auto dep,
                          conn->QueryOne("SELECT 1 FROM departments WHERE id = ?", {parent_id}));
      if (!dep) return InvalidArgument("unknown_department");
    }
    DD_ASSIGN_OR_RETURN(auto taken,
                        conn->QueryOne("SELECT 1 FROM departments WHERE code = ?", {code}));
    if (taken) return Conflict("department_code_taken", {{"code", code}});
    DD_ASSIGN_OR_RETURN(auto ins, conn->QueryOne("INSERT INTO departments (code, name, parent_id, "
                                                 "created_at) VALUES (?, ?, ?, ?) RETURNING id",
                                                 {code, name, parent_id, clock_.Now()}));
    id = ins->Int(0);
    return audit_.Append(
        *conn, audit::Entry::By(actor, "department.create", "department:" + std::to_string(id),
                                json{{"code", code}, {"name", name}}));
  }));
  return LoadDepartment(*conn, id);
}

Result<Department> AccountsService::UpdateDepartment(const Actor& actor, int64_t id,
                                                     const DepartmentPatch& p) {
  if (p.name && !ValidDisplayText(*p.name, 64))
    return InvalidArgument("invalid_field", {{"field", "name"}});
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    DD_ASSIGN_OR_RETURN(Department before, LoadDepartment(*conn, id));
    json changes = json::object();
    if (p.name) {
      DD_RETURN_IF_ERROR(conn->Exec("UPDATE departments SET name = ? WHERE id = ?", {*p.name, id}));
      changes["name"] = *p.name;
    }
    if (p.parent_id) {
      if (*p.parent_id) {
        // The new parent must exist and must not be this department or below it.
        DD_ASSIGN_OR_RETURN(
            auto cycle,
            conn->QueryOne(
                "WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT d.id FROM departments d "
                "JOIN sub ON d.parent_id = sub.id) SELECT "
                "(SELECT COUNT(*) FROM departments WHERE id = ?), "
                "(SELECT COUNT(*) FROM sub WHERE id = ?)",
                {id, **p.parent_id, **p.parent_id}));
        if (cycle->Int(0) == 0) return InvalidArgument("unknown_department");
        if (cycle->Int(1) > 0) return InvalidArgument("department_cycle");
      }
      DD_RETURN_IF_ERROR(
          conn->Exec("UPDATE departments SET parent_id = ? WHERE id = ?", {*p.parent_id, id}));
      changes["parent_id"] = *p.parent_id ? json(**p.parent_id) : json(nullptr);
    }
    return audit_.Append(
        *conn, audit::Entry::By(actor, "department.update", "department:" + std::to_string(id),
                                json{{"code", before.code}, {"changes", changes}}));
  }));
  return LoadDepartment(*conn, id);
}

Status AccountsService::DeleteDepartment(const Actor& actor, int64_t id) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return db::WithTransaction(*conn, true, [&]() -> Status {
    DD_ASSIGN_OR_RETURN(Department before, LoadDepartment(*conn, id));
    DD_ASSIGN_OR_RETURN(
        auto used, conn->QueryOne("SELECT (SELECT COUNT(*) FROM users WHERE department_id = ?) + "
                                  "(SELECT COUNT(*) FROM departments WHERE parent_id = ?)",
                                  {id, id}));
    if (used->Int(0) > 0) return Conflict("department_in_use");
    DD_RETURN_IF_ERROR(conn->Exec("DELETE FROM departments WHERE id = ?", {id}));
    return audit_.Append(
        *conn, audit::Entry::By(actor, "department.delete", "department:" + std::to_string(id),
                                json{{"code", before.code}, {"name", before.name}}));
  });
}

// ---------------------------------------------------------------- first start

Result<std::optional<std::string>> AccountsService::BootstrapAdmin() {
  {
    DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    DD_ASSIGN_OR_RETURN(auto any, conn->QueryOne("SELECT 1 FROM users LIMIT 1"));
    if (any) return std::optional<std::string>();
  }
  std::string password = crypto::RandomToken(12);  // 16 characters, 96 bits
  Actor system = Actor::Cli();
  system.username = "system";
  DD_ASSIGN_OR_RETURN(auto user, CreateUser(system, NewUser{"admin", "管理员", "admin",
                                                            std::nullopt, password, true}));
  (void)user;
  return std::optional<std::string>(password);
}

Result<bool> AccountsService::LoadDemo(const std::string& demo_password) {
  {
    DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
    DD_ASSIGN_OR_RETURN(auto any, conn->QueryOne("SELECT 1 FROM users LIMIT 1"));
    if (any) return false;
  }
  Actor system = Actor::Cli();
  system.username = "system";
  DD_ASSIGN_OR_RETURN(auto hq, CreateDepartment(system, "HQ", "总部", std::nullopt));
  DD_ASSIGN_OR_RETURN(auto sales, CreateDepartment(system, "SALES1", "电销一部", hq.id));
  struct Demo {
    const char* username;
    const char* name;
    const char* role;
    std::optional<int64_t> dep;
  };
  const Demo people[] = {
      {"admin", "王总", "admin", hq.id},     {"manager", "李主管", "manager", sales.id},
      {"agent1", "张三", "agent", sales.id}, {"agent2", "李四", "agent", sales.id},
      {"agent3", "王五", "agent", sales.id},
  };
  for (const auto& d : people) {
    DD_ASSIGN_OR_RETURN(auto u, CreateUser(system, NewUser{d.username, d.name, d.role, d.dep,
                                                           demo_password, false}));
    (void)u;
  }
  return true;
}

}  // namespace dd::accounts
