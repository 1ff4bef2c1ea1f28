// Leak controls on the desk: the reveal budget, the fast-outcome streak, the
// masked desk, and the alerts they raise for managers.
//
// The desk (src/modules/desk) calls LeakGuard inside its own write
// transaction: BeforeReveal() right before a new lead is shown, AfterOutcome()
// right after an outcome is recorded. An alert is written in that same
// transaction, so it exists exactly when its cause was committed.
//
// Thread-safe: holds no state but the clock and the audit log.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/auth.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "db/database.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/phone/phone_cleaner.hpp"

namespace dd::leak {

// The sliding window of the reveal budget.
inline constexpr int64_t kRevealWindowS = 3600;

// The leak-control settings, read with the desk's other settings.
struct Limits {
  int64_t reveal_budget = 150;  // reveals per sliding hour and agent; 0: off
  int64_t fast_seconds = 5;     // an outcome sooner than this after the show is "fast"; 0: off
  int64_t fast_streak = 10;     // this many fast outcomes in a row raise an alert; 0: off
  bool masked = false;          // the desk shows 138****5678; unmasking is counted
  int64_t unmask_budget = 30;   // distinct leads unmasked per agent and China day; 0: none

  // From Settings::Values() (keys reveal_budget_per_hour, fast_outcome_seconds,
  // fast_outcome_streak, desk_masked, unmask_budget_per_day).
  static Limits From(const std::map<std::string, std::string, std::less<>>& values);
};

// Alert kinds.
inline constexpr std::string_view kAlertRevealBudget = "reveal_budget";
inline constexpr std::string_view kAlertFastOutcomes = "fast_outcomes";
inline constexpr std::string_view kAlertUnmaskBudget = "unmask_budget";

// Writes an alert about `agent` (and its audit entry `alert.raise`); call
// inside a write transaction on `conn`. Returns the alert's id.
Result<int64_t> RaiseAlert(db::Connection& conn, const audit::AuditLog& audit, const Actor& agent,
                           std::string_view kind, const nlohmann::json& detail, int64_t now);

// True when an alert of `kind` about `agent_id` was raised at or after `since`.
Result<bool> AlertSince(db::Connection& conn, int64_t agent_id, std::string_view kind,
                        int64_t since);

// Masks every run of 7 or more digits (spaces and dashes inside a run count
// as part of it) in free text, such as an extra column holding a second number.
std::string MaskDigitRuns(std::string_view text);

// The other numbers of a lead (its sealed alternates, a JSON array of E.164)
// as the desk shows them: [{"phone", "phone_display"}], formatted for dialling.
nlohmann::json DeskAlternates(const phone::PhoneCleaner& cleaner, std::string_view alternates_json);

// Masks the desk answer {"lead": {...}, ...} in place: `phone` becomes null,
// `phone_display` the masked national number, digit runs in the attributes and
// history notes are masked, and `masked: true` is set on the lead and the answer.
void MaskDesk(nlohmann::json& desk, std::string_view national_digits);

class LeakGuard {
 public:
  LeakGuard(const Clock& clock, const audit::AuditLog& audit) : clock_(clock), audit_(audit) {}

  // Call inside the desk's write transaction right before a new lead is shown
  // to `agent`. OK while the agent has had fewer than `reveal_budget` reveals
  // (call_log rows) in the last hour. Otherwise the error
  // reveal_budget_exceeded (429, Retry-After: when the window frees a reveal);
  // the first refusal within an hour raises a `reveal_budget` alert on `conn`,
  // so the caller should commit its transaction and then return the error.
  Status BeforeReveal(db::Connection& conn, const Actor& agent, const Limits& limits) const;

  // Call in the same transaction right after an outcome was recorded: when the
  // agent's last `fast_streak` outcomes each came less than `fast_seconds`
  // after their lead was shown, raises a `fast_outcomes` alert, once per streak
  // (when the streak reaches its length, not again while it goes on).
  Status AfterOutcome(db::Connection& conn, const Actor& agent, const Limits& limits) const;

 private:
  const Clock& clock_;
  const audit::AuditLog& audit_;
};

}  // namespace dd::leak
