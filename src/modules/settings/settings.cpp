#include "modules/settings/settings.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "core/timezone.hpp"
#include "modules/pool/pool_rules.hpp"

namespace dd::settings {
namespace {

const Definition* Find(std::string_view key) {
  for (const auto& d : Definitions()) {
    if (key == d.key) return &d;
  }
  return nullptr;
}

bool ParseInt(const std::string& s, int64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

}  // namespace

const std::vector<Definition>& Definitions() {
  static const std::vector<Definition> defs = {
      {"duplicate_scope_days", "0", Kind::kInt, 0, 36500},  // 0: all time
      {"import_max_rows", "2000000", Kind::kInt, 1, 10000000},
      {"default_retention_days", "0", Kind::kInt, 0, 36500},  // 0: keep
      {"phone_default_region", "CN", Kind::kText},
      {"low_stock_threshold", "10", Kind::kInt, 0, 100000},
      {"calling_hours", "09:00-21:00", Kind::kTimeWindow},
      {"reveal_budget_per_hour", "150", Kind::kInt, 0, 100000},
      {"retry_delay_minutes", "60", Kind::kInt, 0, 100000},
      {"max_attempts", "3", Kind::kInt, 1, 100},
      {"pull_mode", "0", Kind::kInt, 0, 1},
      {"pull_daily_quota", "50", Kind::kInt, 0, 100000},
      {"quality_matrix", "", Kind::kJson},
      // Leak controls (src/modules/leak)
      {"fast_outcome_seconds", "5", Kind::kInt, 0, 3600},     // 0: off
      {"fast_outcome_streak", "10", Kind::kInt, 0, 1000},     // 0: off
      {"export_max_rows", "10000", Kind::kInt, 0, 10000000},  // 0: no exports
      {"desk_masked", "0", Kind::kInt, 0, 1},
      {"unmask_budget_per_day", "30", Kind::kInt, 0, 100000},  // 0: no unmasking
      // The public pool and recycling (src/modules/pool); 0 days: the rule is off
      {"pool_follow_up_days", "0", Kind::kTierDays, 0, 3650},
      {"pool_convert_days", "0", Kind::kTierDays, 0, 3650},
      {"pool_warn_days", "2", Kind::kInt, 0, 365},
      {"pool_cooldown_days", "7", Kind::kInt, 0, 3650},
      {"pool_holding_cap", "0", Kind::kInt, 0, 1000000},  // 0: no cap
  };
  return defs;
}

bool ValidValue(const Definition& def, const std::string& value) {
  switch (def.kind) {
    case Kind::kInt: {
      int64_t v = 0;
      return ParseInt(value, &v) && v >= def.min && v <= def.max;
    }
    case Kind::kText: return !value.empty() && value.size() <= 200;
    case Kind::kJson: {
      if (value.empty()) return true;
      auto j = nlohmann::json::parse(value, nullptr, false);
      return j.is_object() && value.size() <= 10000;
    }
    case Kind::kTimeWindow: {
      int from = 0, to = 0;
      return tz::ParseWindow(value, &from, &to);
    }
    case Kind::kTierDays: return value.size() <= 200 && pool::ParseTierDays(value, def.max);
  }
  return false;
}

Result<std::string> Settings::Get(std::string_view key) const {
  const Definition* def = Find(key);
  if (!def) return InvalidArgument("unknown_setting", {{"key", std::string(key)}});
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(auto row, conn->QueryOne("SELECT value FROM settings WHERE setting_key = ?",
                                               {std::string(key)}));
  return row ? row->Text(0) : std::string(def->default_value);
}

Result<int64_t> Settings::GetInt(std::string_view key) const {
  DD_ASSIGN_OR_RETURN(std::string v, Get(key));
  int64_t out = 0;
  if (!ParseInt(v, &out)) return InternalError("setting not an integer: " + std::string(key));
  return out;
}

Status Settings::Set(const Actor& actor, std::string_view key, const std::string& value) {
  const Definition* def = Find(key);
  if (!def) return InvalidArgument("unknown_setting", {{"key", std::string(key)}});
  if (!ValidValue(*def, value)) {
    return InvalidArgument("invalid_setting_value", {{"key", std::string(key)}, {"value", value}});
  }
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return db::WithTransaction(*conn, true, [&]() -> Status {
    DD_ASSIGN_OR_RETURN(auto old, conn->QueryOne("SELECT value FROM settings WHERE setting_key = ?",
                                                 {std::string(key)}));
    DD_RETURN_IF_ERROR(conn->Exec(
        "INSERT INTO settings (setting_key, value, updated_at, updated_by) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (setting_key) DO UPDATE SET value = excluded.value, "
        "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        {std::string(key), value, clock_.Now(),
         actor.user_id > 0 ? db::Value(actor.user_id) : db::Value()}));
    return audit_.Append(
        *conn,
        audit::Entry::By(actor, "settings.set", "setting:" + std::string(key),
                         {{"from", old ? old->Text(0) : def->default_value}, {"to", value}}));
  });
}

Result<std::vector<Entry>> Settings::List() const {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(auto rows, conn->Query("SELECT setting_key, value FROM settings"));
  std::vector<Entry> out;
  for (const auto& d : Definitions()) {
    Entry e{&d, d.default_value, true};
    for (const auto& r : rows) {
      if (r.Text(0) == d.key) {
        e.value = r.Text(1);
        e.is_default = false;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::map<std::string, std::string, std::less<>>> Settings::Values() const {
  DD_ASSIGN_OR_RETURN(auto entries, List());
  std::map<std::string, std::string, std::less<>> out;
  for (auto& e : entries) out.emplace(e.def->key, std::move(e.value));
  return out;
}

}  // namespace dd::settings
