#include "modules/pool/pool_rules.hpp"

#include <gtest/gtest.h>

namespace dd::pool {
namespace {

constexpr int64_t kT0 = 1'795'000'000;  // some time; only differences matter

Rules FollowUp(int64_t a, int64_t b, int64_t c) {
  Rules r;
  r.follow_up_days = {a, b, c};
  r.warn_days = 2;
  r.cooldown_days = 7;
  return r;
}

Held Lead(std::string_view status, int tier = 1) {
  Held h;
  h.tier = tier;
  h.status = status;
  h.assigned_at = kT0;
  return h;
}

TEST(PoolRulesTest, ParsesTierDaysAsOneNumberOrPerTier) {
  EXPECT_EQ(ParseTierDays("7"), (TierDays{7, 7, 7}));
  EXPECT_EQ(ParseTierDays("0"), (TierDays{0, 0, 0}));
  EXPECT_EQ(ParseTierDays(R"({"A":10,"B":7,"C":3})"), (TierDays{10, 7, 3}));
  EXPECT_EQ(ParseTierDays(R"({"C":3})"), (TierDays{0, 0, 3}));  // missing tiers: off
  EXPECT_EQ(ParseTierDays("{}"), (TierDays{0, 0, 0}));
  for (const char* bad : {"", "-1", "7.5", "abc", "3651", R"({"D":1})", R"({"A":-1})",
                          R"({"A":"7"})", R"({"A":1.5})", "[1,2,3]", " 7"}) {
    EXPECT_FALSE(ParseTierDays(bad)) << bad;
  }
  EXPECT_FALSE(ParseTierDays("31", 30));
}

TEST(PoolRulesTest, RulesFromSettingsValues) {
  std::map<std::string, std::string, std::less<>> v = {{"pool_follow_up_days", R"({"A":10,"B":7})"},
                                                       {"pool_convert_days", "30"},
                                                       {"pool_warn_days", "3"},
                                                       {"pool_cooldown_days", "5"},
                                                       {"pool_holding_cap", "200"},
                                                       {"pull_daily_quota", "20"}};
  Rules r = Rules::From(v);
  EXPECT_EQ(r.follow_up_days, (TierDays{10, 7, 0}));
  EXPECT_EQ(r.convert_days, (TierDays{30, 30, 30}));
  EXPECT_EQ(r.warn_days, 3);
  EXPECT_EQ(r.cooldown_days, 5);
  EXPECT_EQ(r.holding_cap, 200);
  EXPECT_EQ(r.claim_cap, 20);
  EXPECT_TRUE(r.recycling());
  EXPECT_FALSE(Rules::From({}).recycling());  // every rule off by default
}

TEST(PoolRulesTest, NotFollowedUpWithinNDaysIsDue) {
  const Rules r = FollowUp(7, 7, 7);
  Held h = Lead("assigned");
  auto due = RecycleDue(r, h);
  ASSERT_TRUE(due);
  EXPECT_EQ(due->at, kT0 + 7 * kDay);
  EXPECT_EQ(due->reason, Reason::kFollowUp);
  // Every follow-up restarts the countdown.
  h.followed_at = kT0 + 5 * kDay;
  EXPECT_EQ(RecycleDue(r, h)->at, kT0 + 12 * kDay);
  // A stale follow-up from before the deal counts from the deal.
  h.followed_at = kT0 - 3 * kDay;
  EXPECT_EQ(RecycleDue(r, h)->at, kT0 + 7 * kDay);
}

TEST(PoolRulesTest, ACallbackIsNotDueBeforeItsTime) {
  const Rules r = FollowUp(3, 3, 3);
  Held h = Lead("callback");
  h.followed_at = kT0 + kDay;
  h.next_call_at = kT0 + 10 * kDay;  // promised for later than the follow-up limit
  EXPECT_EQ(RecycleDue(r, h)->at, kT0 + 13 * kDay);
  h.status = "retry";  // a retry's next call is no promise
  EXPECT_EQ(RecycleDue(r, h)->at, kT0 + 4 * kDay);
}

TEST(PoolRulesTest, RulesDifferByQualityTier) {
  const Rules r = FollowUp(10, 7, 0);
  EXPECT_EQ(RecycleDue(r, Lead("assigned", 0))->at, kT0 + 10 * kDay);
  EXPECT_EQ(RecycleDue(r, Lead("assigned", 1))->at, kT0 + 7 * kDay);
  EXPECT_FALSE(RecycleDue(r, Lead("assigned", 2)));  // off for C
  EXPECT_EQ(TierOf("A"), 0);
  EXPECT_EQ(TierOf("B"), 1);
  EXPECT_EQ(TierOf("C"), 2);
  EXPECT_EQ(TierOf(""), 1);
}

TEST(PoolRulesTest, NotConvertedWithinMDaysOfTheDealIsDueWhateverTheFollowUps) {
  Rules r = FollowUp(7, 7, 7);
  r.convert_days = {20, 20, 20};
  Held h = Lead("prospect");
  h.last_outcome = "interested";
  h.followed_at = kT0 + 18 * kDay;  // followed up lately: follow-up due at day 25
  auto due = RecycleDue(r, h);
  ASSERT_TRUE(due);
  EXPECT_EQ(due->at, kT0 + 20 * kDay);  // the earlier deadline wins
  EXPECT_EQ(due->reason, Reason::kConvert);
  h.followed_at = kT0 + 5 * kDay;  // follow-up due at day 12, before day 20
  EXPECT_EQ(RecycleDue(r, h)->reason, Reason::kFollowUp);
  // On a tie the follow-up rule is named.
  r.convert_days = {12, 12, 12};
  EXPECT_EQ(RecycleDue(r, h)->reason, Reason::kFollowUp);
  // Only the convert rule on.
  r.follow_up_days = {};
  EXPECT_EQ(RecycleDue(r, h)->at, kT0 + 12 * kDay);
  EXPECT_EQ(RecycleDue(r, h)->reason, Reason::kConvert);
}

TEST(PoolRulesTest, LockedWonAndUnheldLeadsAreExempt) {
  Rules r = FollowUp(1, 1, 1);
  r.convert_days = {1, 1, 1};
  Held locked = Lead("assigned");
  locked.locked = true;
  EXPECT_FALSE(RecycleDue(r, locked));
  Held won = Lead("prospect");
  won.last_outcome = "converted";
  EXPECT_TRUE(Won(won));
  EXPECT_FALSE(RecycleDue(r, won));
  Held interested = Lead("prospect");
  interested.last_outcome = "interested";
  EXPECT_FALSE(Won(interested));
  EXPECT_TRUE(RecycleDue(r, interested));
  for (const char* s : {"new", "closed", "deleted"}) EXPECT_FALSE(RecycleDue(r, Lead(s))) << s;
  for (const char* s : {"assigned", "retry", "callback", "prospect"})
    EXPECT_TRUE(RecycleDue(r, Lead(s))) << s;
  EXPECT_FALSE(RecycleDue(Rules{}, Lead("assigned")));  // no rule at all
}

TEST(PoolRulesTest, WarningWindowIsKDaysBeforeTheDeadline) {
  Rules r = FollowUp(7, 7, 7);
  const Due d{kT0 + 7 * kDay, Reason::kFollowUp};
  EXPECT_FALSE(InWarning(r, d, kT0 + 5 * kDay - 1));
  EXPECT_TRUE(InWarning(r, d, kT0 + 5 * kDay));
  EXPECT_TRUE(InWarning(r, d, kT0 + 7 * kDay - 1));
  EXPECT_FALSE(InWarning(r, d, kT0 + 7 * kDay));  // due: recycled, not warned
  r.warn_days = 0;
  EXPECT_FALSE(InWarning(r, d, kT0 + 7 * kDay - 1));
}

TEST(PoolRulesTest, CooldownLastsDDays) {
  Rules r;
  r.cooldown_days = 7;
  EXPECT_TRUE(InCooldown(r, kT0, kT0));
  EXPECT_TRUE(InCooldown(r, kT0, kT0 + 7 * kDay - 1));
  EXPECT_FALSE(InCooldown(r, kT0, kT0 + 7 * kDay));
  r.cooldown_days = 0;
  EXPECT_FALSE(InCooldown(r, kT0, kT0));
}

TEST(PoolRulesTest, PrefilterIsASupersetOfWhatIsDueOrWarned) {
  Rules r = FollowUp(10, 7, 0);
  r.convert_days = {0, 30, 0};
  const int64_t now = kT0 + 100 * kDay;
  const Cutoffs c = PrefilterCutoffs(r, now);
  ASSERT_TRUE(c.follow);
  ASSERT_TRUE(c.convert);
  EXPECT_EQ(*c.follow, now + 2 * kDay - 7 * kDay);  // the shortest follow-up rule
  EXPECT_EQ(*c.convert, now + 2 * kDay - 30 * kDay);
  // Whatever a lead looks like: in the warning window or due => passes the prefilter.
  for (int tier = 0; tier < 3; ++tier) {
    for (int64_t dealt = 60; dealt <= 100; ++dealt) {
      for (int64_t followed = -1; followed <= 8; ++followed) {
        Held h = Lead("retry", tier);
        h.assigned_at = kT0 + dealt * kDay;
        if (followed >= 0) h.followed_at = h.assigned_at + followed * kDay;
        auto due = RecycleDue(r, h);
        if (!due || (due->at > now && !InWarning(r, *due, now))) continue;
        const bool passes =
            h.followed_at.value_or(h.assigned_at) <= *c.follow || h.assigned_at <= *c.convert;
        EXPECT_TRUE(passes) << tier << " " << dealt << " " << followed;
      }
    }
  }
  EXPECT_FALSE(PrefilterCutoffs(Rules{}, now).follow);
  EXPECT_FALSE(PrefilterCutoffs(Rules{}, now).convert);
}

}  // namespace
}  // namespace dd::pool
