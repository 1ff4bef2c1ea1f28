// Roles, permissions and data scope: who may do what, and over which rows.
//
// Every route names one Permission (src/app/routes.cpp); RoleHas() is the one
// table that says which role holds it. Data scope is applied by services inside
// their queries (own rows / the department subtree / everything).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dd {

enum class Role { kAdmin, kManager, kAgent, kService };

std::string_view RoleName(Role r);  // "admin", ...
std::optional<Role> ParseRole(std::string_view s);

enum class Permission {
  kPublic,         // no login needed
  kSelf,           // logged in; allowed even before the first password change
  kAuthenticated,  // logged in, password changed
  kUsersRead,
  kUsersWrite,
  kDepartmentsRead,
  kDepartmentsWrite,
  kAuditRead,
  kLeadsImport,  // upload lead lists, see batches and reports
  kDncManage,    // the do-not-call list
  kSettingsRead,
  kSettingsWrite,
  kDesk,  // work the desk (agents)
  kDeal,  // deal leads, manage agents' levels and status
  kLevelsWrite,
  kExport,  // export leads to a file (watermarked, audited, capped); never agents
  kAlerts,  // see and acknowledge leak-control alerts (managers: their subtree's agents)
  // Move leads to the recycle bin (managers: the pool and their subtree's leads).
  kLeadsDelete,
  // The recycle bin (list, restore, clear for good) and batch retention.
  kLeadsPurge,
  // The public pool (公海): its overview and lists, running the recycling,
  // locking leads (managers: their subtree's agents' leads).
  kPool,
};

std::string_view PermissionName(Permission p);
bool RoleHas(Role role, Permission p);

enum class Scope { kOwn, kDepartment, kAll };
Scope ScopeOf(Role role);
std::string_view ScopeName(Scope s);  // "own", "department", "all" (as bound into SQL)

// The authenticated caller of a request or a CLI command.
struct Actor {
  int64_t user_id = 0;   // 0 for the CLI
  std::string username;  // "cli" for the CLI
  Role role = Role::kAgent;
  std::optional<int64_t> department_id;
  bool must_change_password = false;
  bool via_cookie = false;  // cookie session (CSRF applies) vs Bearer token
  int64_t session_id = 0;
  std::string csrf_token;
  std::string ip;

  Scope scope() const { return ScopeOf(role); }
  static Actor Cli();
};

}  // namespace dd
