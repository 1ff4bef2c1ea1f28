#include "core/scheduler.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

namespace dd {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Waits up to 5 s for `pred`.
template <typename Pred>
bool Eventually(Pred pred) {
  const auto until = steady_clock::now() + std::chrono::seconds(5);
  while (steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return pred();
}

TEST(SchedulerTest, RunsAtStartThenEveryInterval) {
  std::atomic<int> runs{0};
  Scheduler s(milliseconds(20));
  s.Add("count", [&] { ++runs; });
  s.Start();
  EXPECT_TRUE(Eventually([&] { return runs >= 3; }));
  s.Stop();
  const int after_stop = runs;
  std::this_thread::sleep_for(milliseconds(60));
  EXPECT_EQ(runs, after_stop) << "no run after Stop()";
}

TEST(SchedulerTest, StopsPromptlyDuringALongWait) {
  std::atomic<int> runs{0};
  Scheduler s(std::chrono::hours(1));
  s.Add("count", [&] { ++runs; });
  s.Start();
  ASSERT_TRUE(Eventually([&] { return s.rounds() == 1; }));
  const auto t0 = steady_clock::now();
  s.Stop();
  EXPECT_LT(steady_clock::now() - t0, std::chrono::seconds(1));
  EXPECT_EQ(runs, 1);
}

TEST(SchedulerTest, RunSoonCutsTheWaitShort) {
  std::atomic<int> runs{0};
  Scheduler s(std::chrono::hours(1));
  s.Add("count", [&] { ++runs; });
  s.Start();
  ASSERT_TRUE(Eventually([&] { return s.rounds() == 1; }));
  s.RunSoon();
  EXPECT_TRUE(Eventually([&] { return runs == 2; }));
}

TEST(SchedulerTest, AThrowingJobDoesNotStopTheOthers) {
  std::atomic<int> runs{0};
  Scheduler s(milliseconds(5));
  s.Add("bad", [] { throw std::runtime_error("boom"); });
  s.Add("good", [&] { ++runs; });
  s.Start();
  EXPECT_TRUE(Eventually([&] { return runs >= 2; }));
}

TEST(SchedulerTest, StopWithoutStartAndTwiceIsHarmless) {
  Scheduler s(milliseconds(5));
  s.Stop();
  s.Start();
  s.Stop();
  s.Stop();
}

}  // namespace
}  // namespace dd
