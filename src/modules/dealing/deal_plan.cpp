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

Plan MakePlan(std::vector<LeadRef> leads, const std::vector<AgentRef>& agents, Strategy strategy,
              const QualityMatrix& matrix, uint64_t seed) {
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

  // Per agent, per tier: the lead ids it gets.
  std::vector<std::array<std::vector<int64_t>, 3>> got(agents.size());
  for (int t = 0; t < 3; ++t) {
    if (by_tier[t].empty()) continue;
    std::vector<double> w;
    for (const auto& a : agents) w.push_back(TierWeight(strategy, a, t, matrix));
    const auto quota = Apportion(static_cast<int64_t>(by_tier[t].size()), w);
    size_t next = 0;
    for (size_t i = 0; i < agents.size(); ++i) {
      for (int64_t k = 0; k < quota[i]; ++k) got[i][t].push_back(by_tier[t][next++]);
      plan.shares[i].by_tier[t] = quota[i];
      plan.shares[i].count += quota[i];
    }
  }

  plan.assignments.reserve(leads.size());
  for (size_t i = 0; i < agents.size(); ++i) {
    if (plan.shares[i].count == 0) plan.warnings.push_back({"agent_gets_nothing", agents[i].id});
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
  return plan;
}

}  // namespace dd::dealing
