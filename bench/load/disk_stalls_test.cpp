#include "load/disk_stalls.hpp"

#include <gtest/gtest.h>

namespace kpo::bench {
namespace {

using std::chrono::milliseconds;

TEST(DiskStalls, SumsWholeDisksOnly) {
  const std::string text =
      " 254       0 vda 100 0 0 0 200 0 0 0 3 0 0 0 0 0 0 0 0\n"
      " 254       1 vda1 90 0 0 0 190 0 0 0 3 0 0 0 0 0 0 0 0\n"
      " 259       0 nvme0n1 10 0 0 0 20 0 0 0 1 0 0 0 0 0 0 0 0\n"
      " 259       1 nvme0n1p1 10 0 0 0 20 0 0 0 1 0 0 0 0 0 0 0 0\n"
      "   7       0 loop0 5 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
      " 253       0 dm-0 50 0 0 0 50 0 0 0 2 0 0 0 0 0 0 0 0\n";
  const auto counters = ParseDiskStats(text);
  EXPECT_EQ(counters.completed, 100U + 200U + 10U + 20U);
  EXPECT_EQ(counters.in_flight, 4U);
}

TEST(DiskStalls, CountsStalledSlicesWithinTheWindowAndTheLongestRun) {
  std::vector<DiskSlice> slices;
  const bool pattern[] = {false, true, true, false, true, true, true, false, true};
  for (int i = 0; i < 9; ++i) slices.push_back({1000 + 100 * (i + 1), pattern[i]});
  const auto all = StallsBetween(slices, 0, 10'000, milliseconds(100));
  EXPECT_NEAR(all.stalled_s, 0.6, 1e-9);
  EXPECT_NEAR(all.longest_s, 0.3, 1e-9);
  const auto first_half = StallsBetween(slices, 1000, 1400, milliseconds(100));  // slices ending 1100..1400
  EXPECT_NEAR(first_half.stalled_s, 0.2, 1e-9);
  EXPECT_NEAR(first_half.longest_s, 0.2, 1e-9);
}

}  // namespace
}  // namespace kpo::bench
