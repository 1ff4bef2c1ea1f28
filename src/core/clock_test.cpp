#include "core/clock.hpp"

#include <gtest/gtest.h>

namespace dd {
namespace {

TEST(ClockTest, DaysFromCivil) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(2024, 2, 29) + 1, DaysFromCivil(2024, 3, 1));
  EXPECT_EQ(FormatIso8601(DaysFromCivil(2026, 11, 23) * 86400), "2026-11-23T00:00:00Z");
}

}  // namespace
}  // namespace dd
