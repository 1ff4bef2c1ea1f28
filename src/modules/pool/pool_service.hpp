// The public pool (公海) and recycling (回收): the scheduled run that takes
// leads back from agents who did not follow them up or convert them in time
// (rules: pool_rules.hpp), warnings before it, locking, the managers'
// overview and lists, and the agent's own expiring prospects.
//
// - Run() recycles every held lead that is due (owner and desk cleared,
//   status 'new', attempts reset, a `pool_recycles` row for the cooldown)
//   and marks the leads due within `pool_warn_days` (leads.recycle_due_at).
//   It works in chunks of write transactions, so the desk never waits long,
//   and writes one `pool.recycle` audit entry with the counts.
// - Managers see and act on the leads of their department subtree's agents
//   (the scope is part of every query); the pool itself is shared, so its
//   counts are global. Numbers are only ever shown masked (138****5678).
// - Agents get no list or count of the leads they hold: only their own
//   prospects that are about to be recycled (names, no numbers) and, on the
//   desk, the current lead's deadline.
//
// The helpers below (holding count, claims, cooldowns) are shared with the
// desk and dealing and run inside the caller's transaction.
// Thread-safe: share one instance.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/auth.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/vault.hpp"
#include "db/database.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/phone/phone_cleaner.hpp"
#include "modules/pool/pool_rules.hpp"
#include "modules/settings/settings.hpp"

namespace dd::pool {

// Leads an agent holds against the holding cap: open leads and prospects,
// won ones not counted. Counts at most `limit` (the cap), so it stays cheap.
Result<int64_t> HoldingCount(db::Connection& conn, int64_t agent_id, int64_t limit);
// Leads the agent took from the pool since the start of today (China time).
Result<int64_t> ClaimsToday(db::Connection& conn, int64_t agent_id, int64_t now);

// The earlier owners of recycled leads: per lead, the agents still in their
// cooldown (hard: may not get it back) and the other earlier owners (soft:
// better someone else). Only leads with `recycled` set are looked up.
struct Owners {
  std::vector<int64_t> hard, soft;
};
Result<std::unordered_map<int64_t, Owners>> EarlierOwners(db::Connection& conn,
                                                          const std::vector<int64_t>& lead_ids,
                                                          const Rules& rules, int64_t now);

// The lead's deadline as the desk shows it: {"recycle_at", "recycle_reason",
// "recycle_warning"} (nulls/false when exempt or no rule applies).
nlohmann::json DeskDeadline(const Rules& rules, const Held& lead, int64_t now);

struct HeldQuery {
  std::string state = "expiring";  // expiring (marked by the last run) | locked
  int page = 1;                    // 1-based
  int page_size = 50;              // 1..200
};

class PoolService {
 public:
  PoolService(db::Database& db, const Clock& clock, const audit::AuditLog& audit,
              const settings::Settings& settings, const phone::PhoneCleaner& cleaner,
              const vault::Vault& vault)
      : db_(db),
        clock_(clock),
        audit_(audit),
        settings_(settings),
        cleaner_(cleaner),
        vault_(vault) {}

  // The recycling run. `actor` null: the scheduler (all leads; does nothing
  // and audits nothing while every recycling rule is off); else a manager
  // (their subtree's agents' leads) or an admin, always audited.
  // {"recycled", "follow_up", "convert", "by_quality": {A,B,C}, "agents",
  //  "warned" (newly marked), "warning" (marked now), "recycling" (rules on)}.
  Result<nlohmann::json> Run(const Actor* actor);

  // Counts only: the pool by quality and batch (and how many were recycled
  // there), the actor's scope's held leads marked expiring or locked,
  // recyclings of the last day and week, the rules and the last run.
  Result<nlohmann::json> Overview(const Actor& actor);

  // Held leads of the actor's scope, expiring (soonest first) or locked:
  // {"items": [{id, name, phone_masked, quality, status, agent, batch_name,
  // recycle_at, recycle_reason, locked, ...}], "total", "page", "page_size"}.
  // Errors: invalid_field (state).
  Result<nlohmann::json> ListHeld(const Actor& actor, const HeldQuery& q);

  // Locks (exempts from recycling) or unlocks held leads of the actor's
  // scope: {"changed": n}. Errors: invalid_field (no or too many ids),
  // pool_leads_not_found (some ids are not held leads in scope; nothing
  // changes).
  Result<nlohmann::json> SetLocked(const Actor& actor, const std::vector<int64_t>& lead_ids,
                                   bool locked);

  // The agent's own prospects to be recycled within pool_warn_days (or
  // overdue), soonest first: {"items": [{id, name, quality, last_outcome,
  // recycle_at, recycle_reason}], "warn_days"}. No numbers, never other leads.
  Result<nlohmann::json> Expiring(const Actor& agent);

 private:
  Result<Rules> LoadRules() const;

  db::Database& db_;
  const Clock& clock_;
  const audit::AuditLog& audit_;
  const settings::Settings& settings_;
  const phone::PhoneCleaner& cleaner_;
  const vault::Vault& vault_;
};

}  // namespace dd::pool
