// The dealing arithmetic, free of I/O: who gets which lead, in which order.
//
// 1. The leads are shuffled with a uniform random permutation (Fisher-Yates
//    over a seeded xoshiro256** generator with unbiased bounded draws), so a
//    recorded seed reproduces a deal exactly on any build.
// 2. Per quality tier, every agent's share is its weight's part of the tier
//    (largest-remainder rounding), so it is within one lead of exact.
// 3. Each agent's queue interleaves the tiers evenly (a lead's place is its
//    rank within its tier spread over the whole queue), not in file order.
// The public pool adds two limits (src/modules/pool):
// - A holding cap: an agent with a `capacity` takes at most that many leads;
//   what it cannot take goes to the others with room, by their weights
//   (keeping its own tier mix), and stays in the pool when nobody has room.
// - Earlier owners of recycled leads: a lead never goes to an agent in its
//   cooldown (`hard`; it stays in the pool if only such agents have room)
//   and goes to another agent than its earlier owners (`soft`) when one has
//   room. Shares stay as computed; only which lead fills which place changes.
// Thread-safe (pure functions).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace dd::dealing {

enum class Strategy { kEven, kWeighted, kQuality };
const char* StrategyName(Strategy s);
bool ParseStrategy(const std::string& s, Strategy* out);

struct LeadRef {
  int64_t id;
  int tier;  // 0 = A, 1 = B, 2 = C
};

struct AgentRef {
  int64_t id;
  double weight = 1;      // level weight or per-agent override (> 0)
  std::string level;      // level name, for the quality matrix
  int64_t capacity = -1;  // leads it may still take under the holding cap; -1: no cap
};

// Agents a lead must not go to (hard) or should rather not go to (soft).
struct Blocked {
  std::vector<int64_t> hard, soft;
};
using BlockedMap = std::unordered_map<int64_t, Blocked>;  // by lead id

// How strongly an agent of a level draws a tier, for Strategy::kQuality:
// factor[tier][level]. A missing entry defaults to weight (A), 1 (B) and
// 1/weight (C), so strong agents get more A and fewer C leads.
using QualityMatrix = std::array<std::map<std::string, double>, 3>;

struct Share {
  int64_t agent_id = 0;
  int64_t count = 0;
  std::array<int64_t, 3> by_tier{};
};

struct Assignment {
  int64_t lead_id;
  int64_t agent_id;
  int64_t queue_pos;  // 1-based place in the agent's queue
};

struct Warning {
  // no_leads, no_agents, not_enough_leads, agent_gets_nothing, agent_at_cap
  // (holds its cap already: gets none), agent_capped (gets less because of
  // its cap), leads_over_cap (leads stay in the pool: every agent is at its
  // cap), leads_in_cooldown (recycled leads stay in the pool: only their
  // earlier owners in the cooldown had room)
  std::string code;
  int64_t agent_id = 0;
  int64_t count = 0;  // leads_over_cap, leads_in_cooldown: how many
};

struct Plan {
  std::vector<Share> shares;  // one per agent, in the agents' order
  std::vector<Assignment> assignments;
  std::vector<Warning> warnings;
  int64_t left_over_cap = 0;     // leads left undealt by the holding caps
  int64_t left_in_cooldown = 0;  // leads left undealt by the cooldowns
};

// The weight an agent has for a tier under a strategy.
double TierWeight(Strategy s, const AgentRef& a, int tier, const QualityMatrix& m);

// Quotas of `n` items for `weights` (largest remainder; ties go to the lower
// index). Sum is n; each within 1 of n * w / sum(w).
std::vector<int64_t> Apportion(int64_t n, const std::vector<double>& weights);

// Per tier, per agent quotas (quota[t][i]) limited by the agents' capacities:
// an agent over its cap keeps its cap (in proportion to its tiers) and the
// rest goes, tier by tier, to the agents with room by `weights[t]`, until
// nothing is left over or nobody has room. `capacity[i]` < 0: no cap.
// Returns the leads per tier nobody could take.
std::array<int64_t, 3> ApplyCaps(std::array<std::vector<int64_t>, 3>& quota,
                                 const std::array<std::vector<double>, 3>& weights,
                                 const std::vector<int64_t>& capacity);

// Shuffles `v` in place: a uniform permutation determined by `seed`.
void Shuffle(std::vector<LeadRef>& v, uint64_t seed);

Plan MakePlan(std::vector<LeadRef> leads, const std::vector<AgentRef>& agents, Strategy strategy,
              const QualityMatrix& matrix, uint64_t seed, const BlockedMap& blocked = {});

}  // namespace dd::dealing
