#include "load/proc_cpu.hpp"

#include <gtest/gtest.h>

namespace kpo::bench {
namespace {

TEST(BenchMachineCpu, ReadsBusyIdleAndStealFromTheCpuLine) {
  // user nice system idle iowait irq softirq steal guest guest_nice
  const auto ticks = ParseMachineTicks(
      "cpu  100 10 50 700 40 5 15 80 30 0\n"
      "cpu0 50 5 25 350 20 2 8 40 15 0\n"
      "intr 12345\n");
  EXPECT_DOUBLE_EQ(ticks.busy, 180);  // user + nice + system + irq + softirq; guest is inside user
  EXPECT_DOUBLE_EQ(ticks.idle, 740);  // idle + iowait
  EXPECT_DOUBLE_EQ(ticks.steal, 80);
}

TEST(BenchMachineCpu, WithoutACpuLineEverythingIsZero) {
  const auto ticks = ParseMachineTicks("intr 1\n");
  EXPECT_DOUBLE_EQ(ticks.busy + ticks.idle + ticks.steal, 0);
}

TEST(BenchMachineCpu, SharesAreOfTheTimeBetweenTwoReadings) {
  const MachineTicks before{.busy = 1000, .idle = 500, .steal = 100};
  const MachineTicks after{.busy = 1600, .idle = 800, .steal = 200};
  const auto shares = Shares(before, after);
  EXPECT_DOUBLE_EQ(shares.busy, 0.6);
  EXPECT_DOUBLE_EQ(shares.idle, 0.3);
  EXPECT_DOUBLE_EQ(shares.steal, 0.1);
  const auto none = Shares(after, after);
  EXPECT_DOUBLE_EQ(none.busy + none.idle + none.steal, 0);
}

}  // namespace
}  // namespace kpo::bench
