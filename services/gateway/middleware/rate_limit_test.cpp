// Refusals say when to retry, in whole seconds rounded up.
#include "gateway/middleware/rate_limit.hpp"

#include <gtest/gtest.h>

#include "http/problem.hpp"
#include "observability/metrics.hpp"

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
  EXPECT_FALSE(Limit(limiter, "a", LimitScope::kUser).has_value());
  EXPECT_FALSE(Limit(limiter, "a", LimitScope::kUser).has_value());
  const auto refused = Limit(limiter, "a", LimitScope::kUser);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(http::FindHeader(refused->headers, "Retry-After"), "1");
  EXPECT_EQ(refused->reason, "rate_limit_user");
  EXPECT_FALSE(Limit(limiter, "b", LimitScope::kUser).has_value()) << "another key has a bucket of its own";
}

TEST(RateLimit, RefusalsAreCountedByScope) {
  auto& registry = observability::Registry::Global();
  auto& by_ip = registry.GetCounter("gateway_rate_limited_total",
                                    "Requests refused with 429 by a rate limit.", R"(scope="ip")");
  auto& by_user = registry.GetCounter("gateway_rate_limited_total",
                                      "Requests refused with 429 by a rate limit.", R"(scope="user")");
  const auto ip_before = by_ip.Value();
  const auto user_before = by_user.Value();
  RateLimiter limiter(1, 1);
  EXPECT_FALSE(Limit(limiter, "10.0.0.1", LimitScope::kIp).has_value());
  EXPECT_TRUE(Limit(limiter, "10.0.0.1", LimitScope::kIp).has_value());
  EXPECT_EQ(Limit(limiter, "10.0.0.1", LimitScope::kIp)->reason, "rate_limit_ip");
  EXPECT_EQ(by_ip.Value() - ip_before, 2U);
  EXPECT_EQ(by_user.Value(), user_before);
}

TEST(RateLimit, AZeroRateLimitsNothing) {
  RateLimiter limiter(0, 1);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(Limit(limiter, "a", LimitScope::kUser).has_value());
}

TEST(RateLimit, OverloadedAsksForOneSecond) {
  const auto response = Overloaded();
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(http::FindHeader(response.headers, "Retry-After"), "1");
  EXPECT_EQ(response.reason, "shed") << "the access line tells it from orders' own refusal, passed on";
}

// The gateway's own refusals repeat the service's last words for the route (why it refuses: an
// overload, or payments that stopped), with its Retry-After; before it has refused, the generic ones.
TEST(RateLimit, ShedRequestsAreRefusedInTheServicesLastWords) {
  RefusalWords words;
  const auto before = words.Shed();
  EXPECT_EQ(before.body, Overloaded().body);
  EXPECT_EQ(before.reason, "shed");

  auto refusal = http::ProblemError(503, "payments have stopped")
                     .WithType(std::string(http::kOverloadedProblemType))
                     .WithRetryAfter(2)
                     .WithReason("admission_pipeline_behind")
                     .ToResponse();
  words.Remember(refusal);
  const auto shed = words.Shed();
  EXPECT_EQ(shed.status, 503);
  EXPECT_EQ(shed.body, refusal.body);
  EXPECT_EQ(http::FindHeader(shed.headers, "Retry-After"), "2");
  EXPECT_EQ(http::FindHeader(shed.headers, "Content-Type"),
            http::FindHeader(refusal.headers, "Content-Type"));
  EXPECT_EQ(shed.reason, "shed") << "the access line still tells the gateway's refusal from the service's";
  EXPECT_TRUE(IsOverloadRefusal(shed));

  words.Remember(http::ProblemError(503, "too many at once")
                     .WithType(std::string(http::kOverloadedProblemType))
                     .WithRetryAfter(1)
                     .ToResponse());
  EXPECT_NE(words.Shed().body.find("too many at once"), std::string::npos) << "the last words, not the first";
  EXPECT_EQ(http::FindHeader(words.Shed().headers, "Retry-After"), "1");
}

TEST(RateLimit, OnlyAnOverloadRefusalOpensTheSheddingWindow) {
  EXPECT_TRUE(IsOverloadRefusal(Overloaded()));
  // What orders answers when admission refuses, and when its database cannot be reached.
  EXPECT_TRUE(IsOverloadRefusal(http::ProblemError(503, "busy")
                                    .WithType(std::string(http::kOverloadedProblemType))
                                    .WithRetryAfter(1)
                                    .ToResponse()));
  EXPECT_FALSE(IsOverloadRefusal(http::ProblemError(503, "database down").WithRetryAfter(1).ToResponse()));
  auto not_a_problem = http::JsonResponse(503, R"({"type":"/problems/overloaded"})");
  EXPECT_FALSE(IsOverloadRefusal(not_a_problem)) << "only problem+json bodies are read";
  auto malformed = http::ProblemResponse(503, "x");
  malformed.body = "{";
  EXPECT_FALSE(IsOverloadRefusal(malformed));
}

}  // namespace
}  // namespace kpo::gateway
