// The dealing arithmetic, free of I/O: who gets which lead, in which order.
//
// 1. The leads are shuffled with a uniform random permutation (Fisher-Yates
//    over a seeded xoshiro256** generator with unbiased bounded draws), so a
//    recorded seed reproduces a deal exactly on any build.
// 2. Per quality tier, every agent's share is its weight's part of the tier
//    (largest-remainder rounding), so it is within one lead of exact.
// 3. Each agent's queue interleaves the tiers evenly (a lead's place is its
//    rank within its tier spread over the whole queue), not in file order.
// Thread-safe (pure functions).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
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
  double weight = 1;  // level weight or per-agent override (> 0)
  std::string level;  // level name, for the quality matrix
};

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
  std::string code;  // no_leads, no_agents, not_enough_leads, agent_gets_nothing
  int64_t agent_id = 0;
};

struct Plan {
  std::vector<Share> shares;  // one per agent, in the agents' order
  std::vector<Assignment> assignments;
  std::vector<Warning> warnings;
};

// The weight an agent has for a tier under a strategy.
double TierWeight(Strategy s, const AgentRef& a, int tier, const QualityMatrix& m);

// Quotas of `n` items for `weights` (largest remainder; ties go to the lower
// index). Sum is n; each within 1 of n * w / sum(w).
std::vector<int64_t> Apportion(int64_t n, const std::vector<double>& weights);

// Shuffles `v` in place: a uniform permutation determined by `seed`.
void Shuffle(std::vector<LeadRef>& v, uint64_t seed);

Plan MakePlan(std::vector<LeadRef> leads, const std::vector<AgentRef>& agents, Strategy strategy,
              const QualityMatrix& matrix, uint64_t seed);

}  // namespace dd::dealing
