// Leak controls outside the desk's own transaction: the alerts managers see
// and acknowledge, unmasking the number on the masked desk (daily budget),
// and watermarked, audited, capped exports of a batch's leads.
//
// Scope: managers see alerts about, and export leads owned by, the users of
// their department subtree; admins everything. Agents reach only Unmask.
// Thread-safe: share one instance; each call uses its own connection.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/auth.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/vault.hpp"
#include "db/database.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/phone/phone_cleaner.hpp"
#include "modules/settings/settings.hpp"

namespace dd::leak {

struct AlertFilter {
  bool open_only = false;  // not yet acknowledged
  std::string kind;        // "" for all
  std::optional<int64_t> agent_id;
  std::optional<int64_t> before_id;
  int limit = 50;
};

struct ExportFile {
  std::string bytes;
  std::string filename;
  int64_t rows = 0;   // data rows in the file
  int64_t total = 0;  // leads in scope
  bool truncated = false;
};

class LeakService {
 public:
  LeakService(db::Database& db, const Clock& clock, const audit::AuditLog& audit,
              const settings::Settings& settings, const phone::PhoneCleaner& cleaner,
              const vault::Vault& vault)
      : db_(db),
        clock_(clock),
        audit_(audit),
        settings_(settings),
        cleaner_(cleaner),
        vault_(vault) {}

  // {"items": [...], "open_count": n}, newest first, in the actor's scope.
  Result<nlohmann::json> ListAlerts(const Actor& actor, const AlertFilter& f);
  // Marks an alert acknowledged (audited `alert.ack`); acknowledging it again
  // changes nothing. 404 for alerts outside the actor's scope.
  Result<nlohmann::json> AckAlert(const Actor& actor, int64_t id);

  // The real number of the agent's current lead on the masked desk:
  // {"lead_id", "phone", "phone_display", "unmask_left"}; audited
  // `lead.unmask`. Each lead counts once a day (China time) against
  // `unmask_budget_per_day`. Errors: desk_not_masked (409), not_current_lead
  // (409), unmask_disabled (403), unmask_budget_exceeded (429; the first one a
  // day raises an `unmask_budget` alert).
  Result<nlohmann::json> Unmask(const Actor& agent, int64_t lead_id);

  // The leads of a batch in the actor's scope as a watermarked xlsx, at most
  // `export_max_rows` rows (the first ones by id); audited `lead.export`.
  // Errors: export_disabled (403, the setting is 0), not_found (batch).
  Result<ExportFile> ExportBatch(const Actor& actor, int64_t batch_id, const std::string& lang);

 private:
  db::Database& db_;
  const Clock& clock_;
  const audit::AuditLog& audit_;
  const settings::Settings& settings_;
  const phone::PhoneCleaner& cleaner_;
  const vault::Vault& vault_;  // phone and attributes are sealed at rest
};

}  // namespace dd::leak
