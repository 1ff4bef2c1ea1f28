#include "core/auth.hpp"

#include <cstdlib>

namespace dd {

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kAdmin: return "admin";
    case Role::kManager: return "manager";
    case Role::kAgent: return "agent";
    case Role::kService: return "service";
  }
  return "agent";
}

std::optional<Role> ParseRole(std::string_view s) {
  if (s == "admin") return Role::kAdmin;
  if (s == "manager") return Role::kManager;
  if (s == "agent") return Role::kAgent;
  if (s == "service") return Role::kService;
  return std::nullopt;
}

std::string_view PermissionName(Permission p) {
  switch (p) {
    case Permission::kPublic: return "public";
    case Permission::kSelf: return "self";
    case Permission::kAuthenticated: return "authenticated";
    case Permission::kUsersRead: return "users.read";
    case Permission::kUsersWrite: return "users.write";
    case Permission::kDepartmentsRead: return "departments.read";
    case Permission::kDepartmentsWrite: return "departments.write";
    case Permission::kAuditRead: return "audit.read";
    case Permission::kLeadsImport: return "leads.import";
    case Permission::kDncManage: return "dnc.manage";
    case Permission::kSettingsRead: return "settings.read";
    case Permission::kSettingsWrite: return "settings.write";
    case Permission::kDesk: return "desk";
    case Permission::kDeal: return "deal";
    case Permission::kLevelsWrite: return "levels.write";
    case Permission::kExport: return "leads.export";
    case Permission::kAlerts: return "alerts";
    case Permission::kLeadsDelete: return "leads.delete";
    case Permission::kLeadsPurge: return "leads.purge";
    case Permission::kPool: return "pool";
  }
  return "unknown";
}

// The role table. A switch over every permission, so adding one without
// deciding who holds it fails to compile (-Werror=switch).
bool RoleHas(Role role, Permission p) {
  switch (p) {
    case Permission::kPublic:
    case Permission::kSelf:
    case Permission::kAuthenticated: return true;
    case Permission::kUsersRead:
    case Permission::kUsersWrite:
    case Permission::kDepartmentsWrite:
    case Permission::kAuditRead:
    case Permission::kSettingsRead:
    case Permission::kSettingsWrite:
    case Permission::kLevelsWrite:
    case Permission::kLeadsPurge: return role == Role::kAdmin;
    case Permission::kDesk: return role == Role::kAgent;
    case Permission::kDeal:
    case Permission::kDepartmentsRead:
    case Permission::kLeadsImport:
    case Permission::kDncManage:
    case Permission::kExport:  // agents never export anything
    case Permission::kLeadsDelete:
    case Permission::kPool:  // agents never see pool lists or counts
    case Permission::kAlerts: return role == Role::kAdmin || role == Role::kManager;
  }
  return false;
}

Scope ScopeOf(Role role) {
  switch (role) {
    case Role::kAdmin: return Scope::kAll;
    case Role::kManager: return Scope::kDepartment;
    case Role::kAgent:
    case Role::kService: return Scope::kOwn;
  }
  return Scope::kOwn;
}

std::string_view ScopeName(Scope s) {
  switch (s) {
    case Scope::kAll: return "all";
    case Scope::kDepartment: return "department";
    case Scope::kOwn: return "own";
  }
  return "own";
}

Actor Actor::Cli() {
  Actor a;
  a.user_id = 0;
  const char* user = std::getenv("USER");
  a.username = std::string("cli:") + (user ? user : "root");
  a.role = Role::kAdmin;
  a.ip = "local";
  return a;
}

}  // namespace dd
