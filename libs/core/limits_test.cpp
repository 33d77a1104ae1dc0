#include "core/limits.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace kpo::core {
namespace {

TEST(Limits, RaisesTheSoftOpenFileLimitToTheHardLimit) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max == RLIM_INFINITY || limit.rlim_max < 64) GTEST_SKIP() << "no finite hard limit to test";
  // Start from a low soft limit, as a shell's default of 1024 is.
  rlimit lowered{64, limit.rlim_max};
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
  const auto result = RaiseOpenFileLimit();
  EXPECT_EQ(result.before, 64U);
  EXPECT_EQ(result.soft, limit.rlim_max);
  EXPECT_EQ(result.hard, limit.rlim_max);
  rlimit now{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(now.rlim_cur, limit.rlim_max);
  // Already raised: nothing changes.
  EXPECT_EQ(RaiseOpenFileLimit().soft, limit.rlim_max);
}

TEST(Limits, ConnectionsWithinTheLimitLeaveTheReserveFree) {
  const OpenFileLimit limit{1024, 20'000, 20'000};
  EXPECT_EQ(ConnectionsWithin(limit, 2, 512), 9744U);
  EXPECT_EQ(ConnectionsWithin(limit, 1, 256), 19'744U);
  EXPECT_EQ(ConnectionsWithin({64, 64, 64}, 2, 512), 1U);
}

}  // namespace
}  // namespace kpo::core
