// Refusals say when to retry, in whole seconds rounded up.
#include "gateway/middleware/rate_limit.hpp"

#include <gtest/gtest.h>

namespace kpo::gateway {
namespace {

using namespace std::chrono_literals;

TEST(RateLimit, RetryAfterIsWholeSecondsRoundedUpAndAtLeastOne) {
  EXPECT_EQ(http::FindHeader(TooManyRequests(0ms).headers, "Retry-After"), "1");
  EXPECT_EQ(http::FindHeader(TooManyRequests(1ms).headers, "Retry-After"), "1");
  EXPECT_EQ(http::FindHeader(TooManyRequests(1000ms).headers, "Retry-After"), "1");
  EXPECT_EQ(http::FindHeader(TooManyRequests(1001ms).headers, "Retry-After"), "2");
  EXPECT_EQ(TooManyRequests(1ms).status, 429);
}

TEST(RateLimit, ALimiterRefusesOnceTheBurstIsSpent) {
  RateLimiter limiter(1, 2);
  EXPECT_FALSE(Limit(limiter, "a").has_value());
  EXPECT_FALSE(Limit(limiter, "a").has_value());
  const auto refused = Limit(limiter, "a");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(http::FindHeader(refused->headers, "Retry-After"), "1");
  EXPECT_FALSE(Limit(limiter, "b").has_value()) << "another key has a bucket of its own";
}

TEST(RateLimit, AZeroRateLimitsNothing) {
  RateLimiter limiter(0, 1);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(Limit(limiter, "a").has_value());
}

TEST(RateLimit, OverloadedAsksForOneSecond) {
  const auto response = Overloaded();
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(http::FindHeader(response.headers, "Retry-After"), "1");
}

}  // namespace
}  // namespace kpo::gateway
