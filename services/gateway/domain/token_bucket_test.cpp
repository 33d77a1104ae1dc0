#include "gateway/domain/token_bucket.hpp"

#include <gtest/gtest.h>

namespace kpo::gateway {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, AllowsABurstThenRefillsAtTheRate) {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(10, 3, t0);
  std::chrono::milliseconds retry{0};
  EXPECT_TRUE(bucket.TryTake(t0, retry));
  EXPECT_TRUE(bucket.TryTake(t0, retry));
  EXPECT_TRUE(bucket.TryTake(t0, retry));
  EXPECT_FALSE(bucket.TryTake(t0, retry));
  EXPECT_EQ(retry, 100ms);
  EXPECT_FALSE(bucket.TryTake(t0 + 50ms, retry));
  EXPECT_TRUE(bucket.TryTake(t0 + 100ms, retry));
}

TEST(RateLimiter, KeysAreIndependent) {
  RateLimiter limiter(1, 1);
  const auto now = TokenBucket::Clock::time_point{} + 1h;
  std::chrono::milliseconds retry{0};
  EXPECT_TRUE(limiter.Allow("a", retry, now));
  EXPECT_FALSE(limiter.Allow("a", retry, now));
  EXPECT_GE(retry, 1000ms);
  EXPECT_TRUE(limiter.Allow("b", retry, now));
}

TEST(RateLimiter, ZeroRateDisablesTheLimit) {
  RateLimiter limiter(0, 0);
  std::chrono::milliseconds retry{0};
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.Allow("a", retry));
}

}  // namespace
}  // namespace kpo::gateway
