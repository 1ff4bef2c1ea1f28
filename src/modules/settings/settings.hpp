// Settings an admin changes at run time (UI, API and `dialdeck settings`).
// Every key is declared in one table (settings.cpp) with its default and a
// check; unknown keys and bad values are refused. Changes are audited.
// Thread-safe: reads go to the database each time (settings are few and
// cheap), so every instance sees a change at once.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/auth.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "db/database.hpp"
#include "modules/audit/audit_log.hpp"

namespace dd::settings {

// kTierDays: days per quality tier, "7" or {"A":10,"B":7,"C":3} (pool::ParseTierDays).
enum class Kind { kInt, kText, kTimeWindow, kJson, kTierDays };

struct Definition {
  const char* key;
  const char* default_value;
  Kind kind;
  int64_t min = 0;  // for kInt
  int64_t max = 0;
};

const std::vector<Definition>& Definitions();

struct Entry {
  const Definition* def;
  std::string value;  // current (the default when never set)
  bool is_default;
};

class Settings {
 public:
  Settings(db::Database& db, const Clock& clock, const audit::AuditLog& audit)
      : db_(db), clock_(clock), audit_(audit) {}

  Result<std::string> Get(std::string_view key) const;
  Result<int64_t> GetInt(std::string_view key) const;
  // Errors: unknown_setting, invalid_setting_value.
  Status Set(const Actor& actor, std::string_view key, const std::string& value);
  Result<std::vector<Entry>> List() const;
  // Every key's current value in one query (for code that needs several).
  Result<std::map<std::string, std::string, std::less<>>> Values() const;

 private:
  db::Database& db_;
  const Clock& clock_;
  const audit::AuditLog& audit_;
};

// Validates `value` for `def`; true when acceptable.
bool ValidValue(const Definition& def, const std::string& value);

}  // namespace dd::settings
