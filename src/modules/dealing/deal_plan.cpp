#include "modules/dealing/deal_plan.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace dd::dealing {
namespace {

// xoshiro256** seeded through splitmix64: small, fast, and specified, so a
// seed means the same permutation everywhere (std::shuffle does not promise that).
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      s = z ^ (z >> 31);
    }
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, bound) without modulo bias (Lemire).
  uint64_t Below(uint64_t bound) {
    unsigned __int128 m = static_cast<unsigned __int128>(Next()) * bound;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < bound) {
      const uint64_t threshold = -bound % bound;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(Next()) * bound;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace

const char* StrategyName(Strategy s) {
  switch (s) {
    case Strategy::kEven: return "even";
    case Strategy::kWeighted: return "weighted";
    case Strategy::kQuality: return "quality";
  }
  return "even";
}

bool ParseStrategy(const std::string& s, Strategy* out) {
  if (s == "even")
    *out = Strategy::kEven;
  else if (s == "weighted")
    *out = Strategy::kWeighted;
  else if (s == "quality")
    *out = Strategy::kQuality;
  else
    return false;
  return true;
}

double TierWeight(Strategy s, const AgentRef& a, int tier, const QualityMatrix& m) {
  switch (s) {
    case Strategy::kEven: return 1;
    case Strategy::kWeighted: return a.weight;
    case Strategy::kQuality: {
      auto it = m[tier].find(a.level);
      if (it != m[tier].end()) return a.weight * it->second;
      const double f = tier == 0 ? a.weight : tier == 1 ? 1.0 : 1.0 / a.weight;
      return a.weight * f;
    }
  }
  return 1;
}

std::vector<int64_t> Apportion(int64_t n, const std::vector<double>& weights) {
  std::vector<int64_t> q(weights.size(), 0);
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (weights.empty() || total <= 0 || n <= 0) return q;
  std::vector<std::pair<double, size_t>> rema;
  int64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const double exact = static_cast<double>(n) * weights[i] / total;
    q[i] = static_cast<int64_t>(std::floor(exact));
    given += q[i];
    rema.emplace_back(exact - static_cast<double>(q[i]), i);
  }
  std::stable_sort(rema.begin(), rema.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < n && k < rema.size(); ++k, ++given) ++q[rema[k].second];
  return q;
}

void Shuffle(std::vector<LeadRef>& v, uint64_t seed) {
  Rng rng(seed);
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng.Below(i));
    std::swap(v[i - 1], v[j]);
  }
}

std::array<int64_t, 3> ApplyCaps(std::array<std::vector<int64_t>, 3>& quota,
                                 const std::array<std::vector<double>, 3>& weights,
                                 const std::vector<int64_t>& capacity) {
  const size_t n = capacity.size();
  std::array<int64_t, 3> left{};
  std::vector<bool> full(n, false);
  // Each round either ends or makes at least one more agent full (only an
  // agent that just went over its cap spills), so there are at most n + 1.
  for (;;) {
    std::array<int64_t, 3> spill{};
    for (size_t i = 0; i < n; ++i) {
      if (capacity[i] < 0) continue;
      const int64_t have = quota[0][i] + quota[1][i] + quota[2][i];
      if (have >= capacity[i]) full[i] = true;
      if (have <= capacity[i]) continue;
      // Keep the cap, in proportion to the agent's own tier mix.
      const auto keep = Apportion(
          capacity[i], {static_cast<double>(quota[0][i]), static_cast<double>(quota[1][i]),
                        static_cast<double>(quota[2][i])});
      for (size_t t = 0; t < 3; ++t) {
        spill[t] += quota[t][i] - keep[t];
        quota[t][i] = keep[t];
      }
    }
    if (spill[0] + spill[1] + spill[2] == 0) break;
    std::vector<size_t> open;
    for (size_t i = 0; i < n; ++i) {
      if (!full[i]) open.push_back(i);
    }
    for (size_t t = 0; t < 3; ++t) {
      if (spill[t] == 0) continue;
      std::vector<double> w;
      for (size_t i : open) w.push_back(weights[t][i]);
      const auto add = Apportion(spill[t], w);
      int64_t given = 0;
      for (size_t k = 0; k < open.size(); ++k) {
        quota[t][open[k]] += add[k];
        given += add[k];
      }
      left[t] += spill[t] - given;  // nobody with room (or no weight for this tier)
    }
  }
  return left;
}

namespace {

bool Contains(const std::vector<int64_t>& v, int64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

Plan MakePlan(std::vector<LeadRef> leads, const std::vector<AgentRef>& agents, Strategy strategy,
              const QualityMatrix& matrix, uint64_t seed, const BlockedMap& blocked) {
  Plan plan;
  for (const auto& a : agents) plan.shares.push_back(Share{a.id, 0, {}});
  if (leads.empty()) plan.warnings.push_back({"no_leads", 0});
  if (agents.empty()) plan.warnings.push_back({"no_agents", 0});
  if (leads.empty() || agents.empty()) return plan;
  if (leads.size() < agents.size()) plan.warnings.push_back({"not_enough_leads", 0});

  // Leads sorted by id first, so the permutation depends only on the set of
  // leads and the seed, not on the order the database returned them in.
  std::sort(leads.begin(), leads.end(),
            [](const LeadRef& a, const LeadRef& b) { return a.id < b.id; });
  Shuffle(leads, seed);

  std::array<std::vector<int64_t>, 3> by_tier;
  for (const auto& l : leads) by_tier[std::clamp(l.tier, 0, 2)].push_back(l.id);

  // Per tier: each agent's quota by its weight, then the holding caps.
  const size_t n = agents.size();
  std::array<std::vector<double>, 3> weights;
  std::array<std::vector<int64_t>, 3> quota;
  std::vector<int64_t> capacity(n), wanted(n, 0);
  bool capped = false;
  for (size_t i = 0; i < n; ++i) {
    capacity[i] = agents[i].capacity;
    capped = capped || capacity[i] >= 0;
  }
  for (int t = 0; t < 3; ++t) {
    for (const auto& a : agents) weights[t].push_back(TierWeight(strategy, a, t, matrix));
    quota[t] = Apportion(static_cast<int64_t>(by_tier[t].size()), weights[t]);
    for (size_t i = 0; i < n; ++i) wanted[i] += quota[t][i];
  }
  if (capped) {
    const auto left = ApplyCaps(quota, weights, capacity);
    plan.left_over_cap = left[0] + left[1] + left[2];
  }

  // Per agent, per tier: the lead ids it gets. Leads with earlier owners
  // first, each to the agent with the most room left in its tier that is not
  // in its cooldown (rather not an earlier owner). When only agents in its
  // cooldown have room in that tier, one of their places moves to the agent
  // with the fewest leads that may take it (within its cap). Then the other
  // leads in shuffled order.
  std::vector<int64_t> total(n, 0);
  for (size_t i = 0; i < n; ++i) total[i] = quota[0][i] + quota[1][i] + quota[2][i];
  std::vector<std::array<std::vector<int64_t>, 3>> got(n);
  for (int t = 0; t < 3; ++t) {
    std::vector<int64_t>& room = quota[t];  // places left in this tier
    std::vector<int64_t> free;
    free.reserve(by_tier[t].size());
    for (int64_t id : by_tier[t]) {
      auto it = blocked.empty() ? blocked.end() : blocked.find(id);
      if (it == blocked.end()) {
        free.push_back(id);
        continue;
      }
      const Blocked& b = it->second;
      int best = -1, fallback = -1, donor = -1;
      for (size_t i = 0; i < n; ++i) {
        if (room[i] <= 0) continue;
        if (Contains(b.hard, agents[i].id)) {
          if (donor < 0 || room[i] > room[static_cast<size_t>(donor)]) donor = static_cast<int>(i);
          continue;
        }
        int& slot = Contains(b.soft, agents[i].id) ? fallback : best;
        if (slot < 0 || room[i] > room[static_cast<size_t>(slot)]) slot = static_cast<int>(i);
      }
      int chosen = best >= 0 ? best : fallback;
      if (chosen < 0 && donor >= 0) {
        // Move one of the donor's places in this tier to another agent.
        int taker = -1, soft_taker = -1;
        for (size_t i = 0; i < n; ++i) {
          if (Contains(b.hard, agents[i].id)) continue;
          if (capacity[i] >= 0 && total[i] >= capacity[i]) continue;
          int& slot = Contains(b.soft, agents[i].id) ? soft_taker : taker;
          if (slot < 0 || total[i] < total[static_cast<size_t>(slot)]) slot = static_cast<int>(i);
        }
        chosen = taker >= 0 ? taker : soft_taker;
        if (chosen >= 0) {
          --room[static_cast<size_t>(donor)];
          --total[static_cast<size_t>(donor)];
          ++room[static_cast<size_t>(chosen)];
          ++total[static_cast<size_t>(chosen)];
        }
      }
      if (chosen >= 0) {
        got[static_cast<size_t>(chosen)][t].push_back(id);
        --room[static_cast<size_t>(chosen)];
      } else if (donor >= 0) {
        ++plan.left_in_cooldown;  // only agents in its cooldown could take it
      } else {
        free.push_back(id);  // no room at all: left over like the rest
      }
    }
    size_t next = 0;
    for (size_t i = 0; i < n; ++i) {
      for (int64_t k = 0; k < room[i] && next < free.size(); ++k) got[i][t].push_back(free[next++]);
    }
    for (size_t i = 0; i < n; ++i) {
      plan.shares[i].by_tier[t] = static_cast<int64_t>(got[i][t].size());
      plan.shares[i].count += plan.shares[i].by_tier[t];
    }
  }

  plan.assignments.reserve(leads.size());
  for (size_t i = 0; i < n; ++i) {
    if (capacity[i] == 0) {
      plan.warnings.push_back({"agent_at_cap", agents[i].id});
    } else if (plan.shares[i].count == 0) {
      plan.warnings.push_back({"agent_gets_nothing", agents[i].id});
    } else if (capacity[i] > 0 && wanted[i] > capacity[i]) {
      plan.warnings.push_back({"agent_capped", agents[i].id});
    }
    // Spread each tier over the queue: the k-th of c leads of a tier sits at
    // (k + 0.5) / c; sorting by that mixes the tiers evenly.
    struct Slot {
      double key;
      int tier;
      int64_t lead;
    };
    std::vector<Slot> slots;
    slots.reserve(static_cast<size_t>(plan.shares[i].count));
    for (int t = 0; t < 3; ++t) {
      const auto& ids = got[i][t];
      for (size_t k = 0; k < ids.size(); ++k) {
        slots.push_back(
            {(static_cast<double>(k) + 0.5) / static_cast<double>(ids.size()), t, ids[k]});
      }
    }
    std::sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) {
      return a.key != b.key ? a.key < b.key : a.tier < b.tier;
    });
    for (size_t p = 0; p < slots.size(); ++p) {
      plan.assignments.push_back({slots[p].lead, agents[i].id, static_cast<int64_t>(p + 1)});
    }
  }
  if (plan.left_over_cap > 0) plan.warnings.push_back({"leads_over_cap", 0, plan.left_over_cap});
  if (plan.left_in_cooldown > 0)
    plan.warnings.push_back({"leads_in_cooldown", 0, plan.left_in_cooldown});
  return plan;
}

}  // namespace dd::dealing
