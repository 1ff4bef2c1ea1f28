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

}  // namespace
}  // namespace dd::dealing
