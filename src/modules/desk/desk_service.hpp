// The agent's desk: exactly one lead at a time, outcomes, callbacks, retries,
// calling hours, the do-not-call list, pull from the pool, the call log.
//
// Order of the next lead: callbacks that are due, then retries that are due,
// then new leads in the dealt (shuffled) order. A lead on the DNC list or
// whose local time (its number's time zone) is outside `calling_hours` is
// held back. A lead is the current lead of at most one agent (it is in one
// agent's queue, and every change runs in a write transaction); two tabs of
// one agent see the same lead; an outcome carries a client request_id, so a
// retried post does not skip a lead. Agents never see counts: only the
// `low_stock` flag.
//
// The public pool (src/modules/pool): every outcome restarts the lead's
// recycling countdown; the current lead carries its deadline (`recycle_at`,
// `recycle_warning`); pulls respect the daily claim cap, the holding cap and
// the cooldown after a recycling; an agent may bring one of its own
// prospects back onto the desk to follow it up. Thread-safe.
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
#include "modules/leak/leak_guard.hpp"
#include "modules/phone/phone_cleaner.hpp"
#include "modules/pool/pool_rules.hpp"
#include "modules/settings/settings.hpp"

namespace dd::desk {

struct OutcomeRequest {
  int64_t lead_id = 0;
  std::string outcome;
  std::string note;
  std::optional<int64_t> callback_at;  // Unix seconds
  std::string request_id;
};

// Parses ISO 8601 ("2026-11-23T10:00:00+08:00", "...Z", no zone = +08:00).
std::optional<int64_t> ParseIso8601(std::string_view s);

bool ValidOutcome(std::string_view o);

class DeskService {
 public:
  DeskService(db::Database& db, const Clock& clock, const audit::AuditLog& audit,
              const settings::Settings& settings, const phone::PhoneCleaner& cleaner,
              const vault::Vault& vault)
      : db_(db),
        clock_(clock),
        audit_(audit),
        settings_(settings),
        cleaner_(cleaner),
        vault_(vault),
        leak_(clock, audit) {}

  // {"lead": {...} | null, "low_stock": bool, "can_pull": bool (within the
  // daily claim cap and the holding cap)}; the lead carries "recycle_at",
  // "recycle_reason" and "recycle_warning" (within pool_warn_days); in masked
  // mode (setting desk_masked) the number is masked and `masked: true` added.
  // Leak controls (src/modules/leak): showing a new lead past the agent's
  // reveal budget answers reveal_budget_exceeded (429) instead; a lead already
  // on the desk stays, and an outcome is recorded before that answer.
  Result<nlohmann::json> Current(const Actor& agent);
  // Records the outcome of the agent's current lead and answers with the next.
  // Errors: not_current_lead (409), invalid_outcome, callback_time_required,
  // callback_in_past.
  Result<nlohmann::json> Outcome(const Actor& agent, const OutcomeRequest& req);
  // Takes the next lead from the pool (if allowed, within the daily claim cap
  // and the holding cap, skipping leads recycled from this agent within the
  // cooldown). Errors: pull_disabled (403), pull_quota_reached (429),
  // holding_cap_reached (409).
  Result<nlohmann::json> Pull(const Actor& agent);
  // Puts one of the agent's own prospects on the desk now (the lead that was
  // there goes back to its place), to follow it up before it is recycled.
  // A reveal like any other (audited, reveal budget). Errors:
  // prospect_not_found (404), lead_on_dnc, outside_calling_hours (409).
  Result<nlohmann::json> FollowUp(const Actor& agent, int64_t lead_id);

 private:
  struct Rules {
    int from_min = 9 * 60, to_min = 21 * 60;
    int64_t low_stock = 10, retry_delay_s = 3600, max_attempts = 3, pull_mode = 0;
    leak::Limits leak;
    pool::Rules pool;
  };
  Result<Rules> LoadRules() const;
  // Inside a write transaction: the agent's current lead, or picks and shows
  // the next one. Returns its id or 0; reveal_budget_exceeded when a new lead
  // is due but the reveal budget is spent (see ShowNextOrLock).
  Result<int64_t> ShowNext(db::Connection& conn, const Actor& agent, const Rules& rules);
  // The agent is on leave (users.agent_status 'paused').
  Result<bool> Paused(db::Connection& conn, const Actor& agent);
  // ShowNext, but a reveal_budget_exceeded error goes to `*locked` (and 0 is
  // returned), so the transaction still commits the outcome and the alert.
  Result<int64_t> ShowNextOrLock(db::Connection& conn, const Actor& agent, const Rules& rules,
                                 std::optional<Error>* locked);
  Result<nlohmann::json> State(db::Connection& conn, const Actor& agent, int64_t lead_id,
                               const Rules& rules);
  bool Callable(const Rules& rules, const std::string& timezone, int64_t now) const;

  db::Database& db_;
  const Clock& clock_;
  const audit::AuditLog& audit_;
  const settings::Settings& settings_;
  const phone::PhoneCleaner& cleaner_;
  const vault::Vault& vault_;
  leak::LeakGuard leak_;
};

}  // namespace dd::desk
