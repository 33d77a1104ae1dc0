#include "gateway/domain/shedder.hpp"

#include <gtest/gtest.h>

namespace kpo::gateway {
namespace {

using std::chrono::milliseconds;

TEST(Shedder, AnOverloadAnswerStartsAWindowThatEnds) {
  Shedder shedder(milliseconds(100));
  const auto t0 = Shedder::Clock::now();
  EXPECT_FALSE(shedder.Shedding(t0));
  shedder.Observe(503, true, t0);
  EXPECT_TRUE(shedder.Shedding(t0 + milliseconds(99)));
  EXPECT_FALSE(shedder.Shedding(t0 + milliseconds(100)));
}

TEST(Shedder, OtherAnswersDoNotShed) {
  Shedder shedder(milliseconds(100));
  const auto t0 = Shedder::Clock::now();
  shedder.Observe(503, false, t0);  // a 503 that does not say when to come back
  shedder.Observe(202, false, t0);
  shedder.Observe(429, true, t0);  // one client's limit, not the service's load
  EXPECT_FALSE(shedder.Shedding(t0));
}

TEST(Shedder, AZeroWindowNeverSheds) {
  Shedder shedder(milliseconds(0));
  const auto t0 = Shedder::Clock::now();
  shedder.Observe(503, true, t0);
  EXPECT_FALSE(shedder.Shedding(t0));
}

}  // namespace
}  // namespace kpo::gateway
