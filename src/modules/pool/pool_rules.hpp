// The arithmetic of the public pool (公海) and recycling (回收), free of I/O.
//
// A lead an agent holds (status assigned, retry, callback or prospect) goes
// back to the pool when it was
// - not followed up within N days (`pool_follow_up_days`): N days after the
//   later of its deal (or pull) and its owner's last outcome; a callback is
//   not due before N days after its callback time, since the agent may not
//   call it earlier;
// - or not converted within M days of being dealt (`pool_convert_days`).
// N and M are per quality tier: a number ("7": every tier) or a JSON object
// ({"A":10,"B":7,"C":3}; a missing tier is 0); 0 turns the rule off. The
// earlier of the two deadlines wins (the follow-up rule on a tie). Locked
// leads and won ones (prospects whose last outcome is `converted`) are exempt.
// The owner is warned `pool_warn_days` (K) before the deadline; after
// recycling, the previous owner may not take the lead back (by pull or deal)
// for `pool_cooldown_days` (D). `pool_holding_cap` caps the leads an agent
// holds (open leads plus prospects, won ones not counted); the daily claim
// cap is `pull_daily_quota` (pulls per China day).
//
// Thread-safe (pure functions and values).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace dd::pool {

inline constexpr int64_t kDay = 86400;
// The statuses of a lead an agent holds (SQL list), and of its open (desk) ones.
inline constexpr const char* kHeldStates = "('assigned','retry','callback','prospect')";

// Days per quality tier A, B, C; 0 = the rule is off for that tier.
using TierDays = std::array<int64_t, 3>;

// "7" -> {7,7,7}; {"A":10,"B":7} -> {10,7,0}. nullopt unless a whole number
// in [0, max] or an object with only the keys A, B, C holding such numbers.
std::optional<TierDays> ParseTierDays(std::string_view text, int64_t max = 3650);

// "A" -> 0, "C" -> 2, anything else -> 1 (B).
int TierOf(std::string_view quality);

struct Rules {
  TierDays follow_up_days{};  // N per tier
  TierDays convert_days{};    // M per tier
  int64_t warn_days = 2;      // K
  int64_t cooldown_days = 7;  // D
  int64_t holding_cap = 0;    // 0: no cap
  int64_t claim_cap = 50;     // pulls per agent and China day

  // Any recycling rule on (some N or M > 0).
  bool recycling() const;

  // From Settings::Values() (keys pool_follow_up_days, pool_convert_days,
  // pool_warn_days, pool_cooldown_days, pool_holding_cap, pull_daily_quota).
  static Rules From(const std::map<std::string, std::string, std::less<>>& values);
};

enum class Reason { kFollowUp, kConvert };
const char* ReasonName(Reason r);  // "follow_up", "convert"

// A lead as the rules see it.
struct Held {
  int tier = 1;
  std::string_view status;        // assigned | retry | callback | prospect
  std::string_view last_outcome;  // the last recorded outcome ("" when none)
  bool locked = false;
  int64_t assigned_at = 0;              // dealt or pulled
  std::optional<int64_t> followed_at;   // the owner's last outcome since then
  std::optional<int64_t> next_call_at;  // a callback's time
};

struct Due {
  int64_t at = 0;  // when the lead goes back to the pool
  Reason reason = Reason::kFollowUp;
};

// Won: a prospect whose last outcome is `converted`.
bool Won(const Held& h);
// Not subject to recycling: locked, won, or not a held status.
bool Exempt(const Held& h);
// When the lead is recycled, or nullopt (exempt, or no rule for its tier).
std::optional<Due> RecycleDue(const Rules& r, const Held& h);
// Due within the warning window: due - K days <= now < due (never with K = 0).
bool InWarning(const Rules& r, const Due& d, int64_t now);
// The previous owner may not take the lead back yet.
bool InCooldown(const Rules& r, int64_t recycled_at, int64_t now);

// A cheap SQL prefilter for the recycling run: a held lead can be due
// within K days only if COALESCE(followed_at, assigned_at) <= follow or
// assigned_at <= convert (a superset; RecycleDue decides). nullopt: no
// lead can match that condition (the rule is off for every tier).
struct Cutoffs {
  std::optional<int64_t> follow;
  std::optional<int64_t> convert;
};
Cutoffs PrefilterCutoffs(const Rules& r, int64_t now);

}  // namespace dd::pool
