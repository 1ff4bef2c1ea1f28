// Users, departments, sessions, API tokens and login throttling.
//
// Every method that changes something writes its audit entry in the same
// transaction. Methods taking an Actor apply its data scope in the query.
// Thread-safe: state lives in the database; share one instance.
//
// Sessions are checked against the database at most once a second each
// (kSessionCacheTtl): in between, a request is authenticated from memory.
// Every change this process makes to users or sessions (logout, password,
// role, department, disabling) forgets them all at once, so it takes effect
// on the next request; a change made by another process (the CLI) within
// the second.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/auth.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "db/database.hpp"
#include "modules/audit/audit_log.hpp"

namespace dd::accounts {

struct User {
  int64_t id = 0;
  std::string username;
  std::string display_name;
  Role role = Role::kAgent;
  std::optional<int64_t> department_id;
  std::optional<std::string> department_name;
  bool active = true;
  bool must_change_password = false;
  int64_t created_at = 0;
};

struct Department {
  int64_t id = 0;
  std::string code;
  std::string name;
  std::optional<int64_t> parent_id;
  int64_t created_at = 0;
};

struct NewUser {
  std::string username;
  std::string display_name;  // defaults to the username
  std::string role;
  std::optional<int64_t> department_id;
  std::string password;
  bool must_change_password = false;
};

struct UserPatch {
  std::optional<std::string> display_name;
  std::optional<std::string> role;
  std::optional<std::optional<int64_t>> department_id;  // set to null with {nullopt}
  std::optional<bool> active;
  std::optional<std::string> password;  // an admin's reset: must change at next login
};

struct DepartmentPatch {
  std::optional<std::string> name;
  std::optional<std::optional<int64_t>> parent_id;
};

struct LoginResult {
  User user;
  std::string session_token;  // the cookie value; only its hash is stored
  std::string csrf_token;
};

struct ApiToken {
  int64_t id = 0;
  std::string name;
  std::string username;
  int64_t created_at = 0;
  std::optional<int64_t> last_used_at;
  std::optional<int64_t> revoked_at;
};

struct Policy {
  int max_failures_per_user = 10;  // within failure_window_s
  int max_failures_per_ip = 50;
  int64_t failure_window_s = 15 * 60;
  int64_t lock_s = 15 * 60;
  int slow_down_after = 4;  // failures before answers start to slow
  int64_t session_idle_s = 4 * 3600;
  int64_t session_absolute_s = 12 * 3600;
  size_t min_password_length = 8;
};

class AccountsService {
 public:
  AccountsService(db::Database& db, const Clock& clock, const audit::AuditLog& audit,
                  Policy policy = {})
      : db_(db), clock_(clock), audit_(audit), policy_(policy) {}

  // --- sessions and tokens
  // Errors: invalid_credentials (401, with a growing delay), account_locked
  // (423), too_many_attempts (429, per address).
  Result<LoginResult> Login(const std::string& username, const std::string& password,
                            const std::string& ip, const std::string& user_agent);
  Status Logout(const Actor& actor);
  // The actor for a session cookie value or a Bearer token; nullopt when the
  // credential is unknown, revoked or expired.
  Result<std::optional<Actor>> AuthenticateSession(const std::string& token, const std::string& ip);
  Result<std::optional<Actor>> AuthenticateToken(const std::string& token, const std::string& ip);
  // AuthenticateSession without writing (it may read): also nullopt when the
  // session is due its touch (last_seen_at) or the database fails. For the
  // I/O thread, where a write would wait for the write lock.
  std::optional<Actor> SessionWithoutWriting(const std::string& token, const std::string& ip);
  Result<User> GetUser(int64_t id);
  Status ChangePassword(const Actor& actor, const std::string& current, const std::string& next);

  // Creates an API token acting as `username`; returns the token (shown once).
  Result<std::string> CreateToken(const Actor& actor, const std::string& username,
                                  const std::string& name);
  Result<std::vector<ApiToken>> ListTokens();
  Status RevokeToken(const Actor& actor, int64_t id);

  // --- users and departments (admins; managers read their own subtree)
  Result<std::vector<User>> ListUsers(const Actor& actor);
  Result<User> CreateUser(const Actor& actor, const NewUser& u);
  Result<User> UpdateUser(const Actor& actor, int64_t id, const UserPatch& p);
  Result<User> FindUserByName(const std::string& username);

  Result<std::vector<Department>> ListDepartments(const Actor& actor);
  Result<Department> CreateDepartment(const Actor& actor, const std::string& code,
                                      const std::string& name, std::optional<int64_t> parent_id);
  Result<Department> UpdateDepartment(const Actor& actor, int64_t id, const DepartmentPatch& p);
  Status DeleteDepartment(const Actor& actor, int64_t id);
  Result<Department> FindDepartmentByCode(const std::string& code);

  // On an empty database: creates "admin" with a random password that must be
  // changed at first login and returns it; nullopt when users exist.
  Result<std::optional<std::string>> BootstrapAdmin();
  // On an empty database: a demo company (admin, manager, three agents, all
  // with the password `demo_password`). Returns false when users exist.
  Result<bool> LoadDemo(const std::string& demo_password);

  const Policy& policy() const { return policy_; }

 private:
  Result<User> LoadUser(db::Connection& conn, int64_t id);
  Result<Department> LoadDepartment(db::Connection& conn, int64_t id);
  Status CheckPassword(const std::string& password) const;
  Status RecordFailure(db::Connection& conn, const std::string& username, const std::string& ip,
                       int* failures_out);
  // The session cache (see the top of this file).
  struct CachedSession {
    Actor actor;
    int64_t expires_at = 0, last_seen_at = 0;
    std::chrono::steady_clock::time_point checked;
  };
  std::optional<Actor> CachedActor(const std::string& token_hash, int64_t now);
  // AuthenticateSession; without `may_touch`, a session due its touch is
  // answered nullopt.
  Result<std::optional<Actor>> LookUpSession(const std::string& token, const std::string& ip,
                                             bool may_touch);
  void CacheActor(const std::string& token_hash, const CachedSession& s, uint64_t generation);
  // After a change to users or sessions has committed.
  void ForgetSessions();

  db::Database& db_;
  const Clock& clock_;
  const audit::AuditLog& audit_;
  Policy policy_;
  std::mutex sessions_mu_;
  std::unordered_map<std::string, CachedSession> sessions_;
  std::atomic<uint64_t> sessions_generation_{0};
};

// Validation shared by the service and its tests.
bool ValidUsername(std::string_view s);
bool ValidDepartmentCode(std::string_view s);
bool ValidDisplayText(std::string_view s, size_t max_chars);

}  // namespace dd::accounts
