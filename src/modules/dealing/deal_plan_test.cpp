#include "modules/dealing/deal_plan.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

namespace dd::dealing {
namespace {

std::vector<LeadRef> Leads(int a, int b, int c) {
  std::vector<LeadRef> v;
  int64_t id = 1;
  for (int i = 0; i < a; ++i) v.push_back({id++, 0});
  for (int i = 0; i < b; ++i) v.push_back({id++, 1});
  for (int i = 0; i < c; ++i) v.push_back({id++, 2});
  return v;
}

TEST(DealPlanTest, ApportionIsWithinOneOfExactAndSumsUp) {
  struct Case {
    int64_t n;
    std::vector<double> w;
  };
  const Case cases[] = {
      {10, {1, 1, 1}}, {100, {3, 2}}, {7, {3, 2, 1}}, {1, {1, 1}}, {999, {0.5, 2, 7, 1}}};
  for (const auto& c : cases) {
    auto q = Apportion(c.n, c.w);
    double total = 0;
    for (double w : c.w) total += w;
    int64_t sum = 0;
    for (size_t i = 0; i < q.size(); ++i) {
      sum += q[i];
      EXPECT_LT(std::abs(static_cast<double>(q[i]) - c.n * c.w[i] / total), 1.0)
          << c.n << " #" << i;
    }
    EXPECT_EQ(sum, c.n);
  }
}

TEST(DealPlanTest, EvenDealGivesEveryAgentTheSameMixWithinOne) {
  std::vector<AgentRef> agents = {{1, 1, ""}, {2, 1, ""}, {3, 1, ""}};
  auto plan = MakePlan(Leads(10, 20, 31), agents, Strategy::kEven, {}, 42);
  ASSERT_EQ(plan.assignments.size(), 61u);
  for (const auto& s : plan.shares) {
    EXPECT_NEAR(s.by_tier[0], 10.0 / 3, 1.0);
    EXPECT_NEAR(s.by_tier[1], 20.0 / 3, 1.0);
    EXPECT_NEAR(s.by_tier[2], 31.0 / 3, 1.0);
  }
  std::set<int64_t> ids;
  for (const auto& a : plan.assignments) ids.insert(a.lead_id);
  EXPECT_EQ(ids.size(), 61u);  // every lead dealt exactly once
  EXPECT_TRUE(plan.warnings.empty());
}

TEST(DealPlanTest, WeightedDealFollowsTheRatio) {
  std::vector<AgentRef> agents = {{1, 3, "金牌"}, {2, 2, "钻石"}};
  auto plan = MakePlan(Leads(0, 1000, 0), agents, Strategy::kWeighted, {}, 7);
  EXPECT_EQ(plan.shares[0].count, 600);
  EXPECT_EQ(plan.shares[1].count, 400);
}

TEST(DealPlanTest, QualityDealSendsMoreATierLeadsToStrongAgents) {
  std::vector<AgentRef> agents = {{1, 3, "金牌"}, {2, 1, "新人"}};
  auto plan = MakePlan(Leads(100, 100, 100), agents, Strategy::kQuality, {}, 7);
  const auto& strong = plan.shares[0].by_tier;
  const auto& rookie = plan.shares[1].by_tier;
  EXPECT_GT(strong[0], rookie[0] * 5);  // A: 9 : 1
  EXPECT_GT(strong[1], rookie[1] * 2);  // B: 3 : 1
  EXPECT_EQ(strong[2], 50);             // C: 1 : 1
  // An explicit matrix entry wins over the default.
  QualityMatrix m;
  m[0]["新人"] = 0;
  auto none = MakePlan(Leads(10, 0, 0), agents, Strategy::kQuality, m, 7);
  EXPECT_EQ(none.shares[1].by_tier[0], 0);
  EXPECT_EQ(none.shares[0].by_tier[0], 10);
}

TEST(DealPlanTest, QueuesMixTiersEvenly) {
  std::vector<AgentRef> agents = {{1, 1, ""}};
  auto plan = MakePlan(Leads(10, 10, 80), agents, Strategy::kEven, {}, 3);
  std::vector<int> tier_at(101, -1);
  std::map<int64_t, int> tier_of;
  for (const auto& l : Leads(10, 10, 80)) tier_of[l.id] = l.tier;
  for (const auto& a : plan.assignments) tier_at[a.queue_pos] = tier_of[a.lead_id];
  // Every window of 10 consecutive places holds about one A lead.
  for (int start = 1; start + 9 <= 100; start += 10) {
    int a = 0;
    for (int p = start; p < start + 10; ++p) a += tier_at[p] == 0;
    EXPECT_EQ(a, 1) << "window " << start;
  }
}

TEST(DealPlanTest, SameSeedSameDealOtherSeedOtherDeal) {
  std::vector<AgentRef> agents = {{1, 1, ""}, {2, 1, ""}};
  auto a = MakePlan(Leads(0, 50, 0), agents, Strategy::kEven, {}, 99);
  auto b = MakePlan(Leads(0, 50, 0), agents, Strategy::kEven, {}, 99);
  auto c = MakePlan(Leads(0, 50, 0), agents, Strategy::kEven, {}, 100);
  auto key = [](const Plan& p) {
    std::vector<std::pair<int64_t, int64_t>> v;
    for (const auto& x : p.assignments) v.emplace_back(x.lead_id, x.agent_id * 1000 + x.queue_pos);
    return v;
  };
  EXPECT_EQ(key(a), key(b));
  EXPECT_NE(key(a), key(c));
}

TEST(DealPlanTest, ShuffleIsUniform) {
  // Over many seeds each of 4 leads lands in each position about equally often.
  std::array<std::array<int, 4>, 4> seen{};
  const int kTrials = 40000;
  for (int s = 0; s < kTrials; ++s) {
    auto v = Leads(0, 4, 0);
    Shuffle(v, static_cast<uint64_t>(s) * 7919 + 1);
    for (int p = 0; p < 4; ++p) ++seen[v[p].id - 1][p];
  }
  for (const auto& row : seen) {
    for (int n : row) EXPECT_NEAR(n, kTrials / 4, kTrials / 4 * 0.05);
  }
}

TEST(DealPlanTest, Warnings) {
  std::vector<AgentRef> three = {{1, 1, ""}, {2, 1, ""}, {3, 1, ""}};
  auto few = MakePlan(Leads(0, 2, 0), three, Strategy::kEven, {}, 1);
  std::set<std::string> codes;
  for (const auto& w : few.warnings) codes.insert(w.code);
  EXPECT_TRUE(codes.count("not_enough_leads"));
  EXPECT_TRUE(codes.count("agent_gets_nothing"));
  EXPECT_EQ(MakePlan({}, three, Strategy::kEven, {}, 1).warnings.at(0).code, "no_leads");
  EXPECT_EQ(MakePlan(Leads(1, 0, 0), {}, Strategy::kEven, {}, 1).warnings.at(0).code, "no_agents");
}

TEST(DealPlanTest, HoldingCapsLimitSharesAndTheRestGoesToOthersWithRoom) {
  // Agent 1 may take 5 more, agent 2 none (at its cap), agent 3 has no cap.
  std::vector<AgentRef> agents = {{1, 1, "", 5}, {2, 1, "", 0}, {3, 1, "", -1}};
  auto plan = MakePlan(Leads(30, 30, 30), agents, Strategy::kEven, {}, 11);
  EXPECT_EQ(plan.shares[0].count, 5);
  EXPECT_EQ(plan.shares[1].count, 0);
  EXPECT_EQ(plan.shares[2].count, 85);
  EXPECT_EQ(plan.left_over_cap, 0);
  EXPECT_EQ(plan.assignments.size(), 90u);
  // The capped agent keeps an even mix of tiers.
  for (int t = 0; t < 3; ++t) EXPECT_NEAR(plan.shares[0].by_tier[t], 5.0 / 3, 1.0);
  std::set<std::string> codes;
  for (const auto& w : plan.warnings) codes.insert(w.code + ":" + std::to_string(w.agent_id));
  EXPECT_TRUE(codes.count("agent_at_cap:2"));
  EXPECT_TRUE(codes.count("agent_capped:1"));
  EXPECT_FALSE(codes.count("agent_gets_nothing:2"));

  // Everybody capped: the rest stays in the pool.
  std::vector<AgentRef> small = {{1, 1, "", 4}, {2, 3, "", 6}};
  auto few = MakePlan(Leads(10, 10, 10), small, Strategy::kWeighted, {}, 5);
  EXPECT_EQ(few.shares[0].count, 4);
  EXPECT_EQ(few.shares[1].count, 6);
  EXPECT_EQ(few.left_over_cap, 20);
  EXPECT_EQ(few.assignments.size(), 10u);
  bool over = false;
  for (const auto& w : few.warnings) over = over || (w.code == "leads_over_cap" && w.count == 20);
  EXPECT_TRUE(over);
}

TEST(DealPlanTest, ApplyCapsNeverGivesAnAgentMoreThanItsCap) {
  for (uint64_t seed = 1; seed < 200; ++seed) {
    const int64_t n = static_cast<int64_t>(seed % 37);
    std::array<std::vector<double>, 3> w;
    std::vector<int64_t> cap;
    for (int i = 0; i < 4; ++i) cap.push_back(static_cast<int64_t>((seed * (i + 3)) % 9) - 1);
    std::array<std::vector<int64_t>, 3> q;
    for (int t = 0; t < 3; ++t) {
      w[t] = {1, 2, 0.5, static_cast<double>(seed % 3 + 1)};
      q[t] = Apportion(n + t, w[t]);
    }
    const auto left = ApplyCaps(q, w, cap);
    int64_t dealt = 0, room = 0;
    bool uncapped = false;
    for (int i = 0; i < 4; ++i) {
      const int64_t got = q[0][i] + q[1][i] + q[2][i];
      dealt += got;
      if (cap[i] >= 0) {
        EXPECT_LE(got, cap[i]) << seed;
        room += cap[i] - got;
      } else {
        uncapped = true;
      }
    }
    EXPECT_EQ(dealt + left[0] + left[1] + left[2], 3 * n + 3) << seed;  // nothing lost
    // Leads are left over only when nobody has room.
    if (left[0] + left[1] + left[2] > 0) {
      EXPECT_FALSE(uncapped) << seed;
      EXPECT_EQ(room, 0) << seed;
    }
  }
}

TEST(DealPlanTest, RecycledLeadsAvoidTheirEarlierOwners) {
  std::vector<AgentRef> agents = {{1, 1, ""}, {2, 1, ""}, {3, 1, ""}};
  // Leads 1..6 were recycled from agent 1 (in its cooldown), 7..9 earlier
  // from agent 2 (cooldown over: rather someone else).
  BlockedMap blocked;
  for (int64_t id = 1; id <= 6; ++id) blocked[id].hard = {1};
  for (int64_t id = 7; id <= 9; ++id) blocked[id].soft = {2};
  auto plan = MakePlan(Leads(0, 30, 0), agents, Strategy::kEven, {}, 9, blocked);
  ASSERT_EQ(plan.assignments.size(), 30u);
  for (const auto& s : plan.shares) EXPECT_EQ(s.count, 10);  // shares unchanged
  for (const auto& a : plan.assignments) {
    if (a.lead_id <= 6) {
      EXPECT_NE(a.agent_id, 1) << a.lead_id;
    }
    if (a.lead_id >= 7 && a.lead_id <= 9) {
      EXPECT_NE(a.agent_id, 2) << a.lead_id;
    }
  }
  EXPECT_EQ(plan.left_in_cooldown, 0);

  // The only agent is in the lead's cooldown: it stays in the pool.
  std::vector<AgentRef> one = {{1, 1, ""}};
  auto alone = MakePlan(Leads(0, 5, 0), one, Strategy::kEven, {}, 9, blocked);
  EXPECT_EQ(alone.shares[0].count, 0);
  EXPECT_EQ(alone.left_in_cooldown, 5);
  EXPECT_EQ(alone.warnings.back().code, "leads_in_cooldown");
  // ... but an earlier owner past the cooldown still gets it when nobody else can.
  std::vector<AgentRef> two = {{2, 1, ""}};
  auto soft = MakePlan(Leads(0, 9, 0), two, Strategy::kEven, {}, 9, blocked);
  EXPECT_EQ(soft.shares[0].count, 9);
}

TEST(DealPlanTest, WithoutCapsOrEarlierOwnersTheDealIsUnchanged) {
  std::vector<AgentRef> agents = {{1, 2, ""}, {2, 1, ""}};
  BlockedMap other;  // leads that are not part of this deal
  other[999].hard = {1};
  auto a = MakePlan(Leads(7, 13, 5), agents, Strategy::kWeighted, {}, 123);
  auto b = MakePlan(Leads(7, 13, 5), agents, Strategy::kWeighted, {}, 123, other);
  ASSERT_EQ(a.assignments.size(), b.assignments.size());
  for (size_t i = 0; i < a.assignments.size(); ++i) {
    EXPECT_EQ(a.assignments[i].lead_id, b.assignments[i].lead_id);
    EXPECT_EQ(a.assignments[i].agent_id, b.assignments[i].agent_id);
    EXPECT_EQ(a.assignments[i].queue_pos, b.assignments[i].queue_pos);
  }
}

TEST(DealPlanTest, ARecycledLeadTakesAnotherAgentsPlaceWhenOnlyItsOwnerHasRoomInItsTier) {
  // One A lead: by weight its place is agent 1's, but agent 1 is in its cooldown.
  std::vector<AgentRef> agents = {{1, 1, ""}, {2, 1, ""}};
  BlockedMap blocked;
  blocked[1].hard = {1};
  auto plan = MakePlan(Leads(1, 4, 0), agents, Strategy::kEven, {}, 3, blocked);
  EXPECT_EQ(plan.left_in_cooldown, 0);
  ASSERT_EQ(plan.assignments.size(), 5u);
  for (const auto& a : plan.assignments) {
    if (a.lead_id == 1) {
      EXPECT_EQ(a.agent_id, 2);
    }
  }
  EXPECT_EQ(plan.shares[0].count + plan.shares[1].count, 5);
  // Not when the other agent is at its cap.
  agents[1].capacity = 2;
  auto capped = MakePlan(Leads(1, 4, 0), agents, Strategy::kEven, {}, 3, blocked);
  EXPECT_EQ(capped.left_in_cooldown, 1);
  EXPECT_EQ(capped.shares[1].count, 2);
  EXPECT_EQ(capped.shares[0].count, 2);
}

}  // namespace
}  // namespace dd::dealing
