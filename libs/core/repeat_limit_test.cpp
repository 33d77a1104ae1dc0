#include "core/repeat_limit.hpp"

#include <gtest/gtest.h>

namespace kpo::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
const RepeatLimiter::Clock::time_point kStart{seconds(100)};

TEST(RepeatLimiter, AFewRepeatsPassThenTheRestOfTheWindowIsCountedAndReportedWithTheNextLine) {
  RepeatLimiter limiter;
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(limiter.Offer("accept failed: Too many open files", kStart).write) << i;
  for (int i = 0; i < 5000; ++i) {
    EXPECT_FALSE(limiter.Offer("accept failed: Too many open files", kStart + milliseconds(i)).write);
  }
  const auto next = limiter.Offer("accept failed: Too many open files", kStart + seconds(10));
  EXPECT_TRUE(next.write);
  EXPECT_EQ(next.left_out_before, 5000U);
  EXPECT_EQ(limiter.Offer("accept failed: Too many open files", kStart + seconds(30)).left_out_before, 0U);
}

TEST(RepeatLimiter, LinesThatDifferOnlyInNumbersAreOfOneKindOthersAreNot) {
  EXPECT_EQ(RepeatLimiter::KindOf("fd 17 closed after 250 ms"),
            RepeatLimiter::KindOf("fd 1234 closed after 3 ms"));
  EXPECT_NE(RepeatLimiter::KindOf("database down"), RepeatLimiter::KindOf("broker down"));
  RepeatLimiter limiter;
  for (int i = 0; i < 10; ++i) limiter.Offer("retry " + std::to_string(i), kStart);
  EXPECT_FALSE(limiter.Offer("retry 99", kStart).write);
  EXPECT_TRUE(limiter.Offer("another failure", kStart).write) << "each kind has its own budget";
}

TEST(RepeatLimiter, MemoryStaysBounded) {
  RepeatLimitPolicy policy;
  policy.max_kinds = 10;
  RepeatLimiter limiter(policy);
  for (char c = 'a'; c <= 'z'; ++c) EXPECT_TRUE(limiter.Offer(std::string(1, c), kStart).write);
}

}  // namespace
}  // namespace kpo::core
