#include "gateway/domain/stall_watch.hpp"

#include <gtest/gtest.h>

namespace kpo::gateway {
namespace {

using namespace std::chrono_literals;
using Clock = StallWatch::Clock;

TEST(StallWatch, AReplicaIsStalledOnlyWhileRequestsWaitWithoutAnAnswerForLongerThanTheBound) {
  StallWatch watch;
  const auto start = Clock::now();
  EXPECT_FALSE(watch.Stalled(start + 1h, 5s)) << "nothing waits";
  watch.Sent(start);
  EXPECT_FALSE(watch.Stalled(start + 5s, 5s));
  EXPECT_TRUE(watch.Stalled(start + 5s + 1ms, 5s));
  watch.Sent(start + 6s);
  EXPECT_TRUE(watch.Stalled(start + 6s, 5s)) << "a request sent to a stalled replica is no progress";
  watch.Answered(start + 7s);
  EXPECT_FALSE(watch.Stalled(start + 7s, 5s)) << "an answer is";
  EXPECT_TRUE(watch.Stalled(start + 12s + 1ms, 5s)) << "the other still waits";
  watch.Abandoned();
  EXPECT_FALSE(watch.Stalled(start + 1h, 5s)) << "it timed out: nothing waits any more";
  EXPECT_EQ(watch.Waiting(), 0);
}

TEST(StallWatch, AFirstRequestAfterALongIdleTimeIsNotStalled) {
  StallWatch watch;
  const auto start = Clock::now();
  watch.Sent(start);
  watch.Answered(start + 1ms);
  watch.Sent(start + 1h);
  EXPECT_FALSE(watch.Stalled(start + 1h + 1s, 5s));
}

TEST(StallWatch, AStallIsReportedOnceUntilTheNextAnswer) {
  StallWatch watch;
  const auto start = Clock::now();
  watch.Sent(start);
  EXPECT_TRUE(watch.FirstReportOfThisStall());
  EXPECT_FALSE(watch.FirstReportOfThisStall());
  watch.Answered(start + 10s);
  watch.Sent(start + 10s);
  EXPECT_TRUE(watch.FirstReportOfThisStall());
}

TEST(StallWatch, OneProbeAtATime) {
  StallWatch watch;
  {
    const StallProbe first(watch);
    const StallProbe second(watch);
    EXPECT_TRUE(first.Granted());
    EXPECT_FALSE(second.Granted()) << "one probe is under way";
  }
  EXPECT_TRUE(StallProbe(watch).Granted()) << "the probe ended with its request";
}

}  // namespace
}  // namespace kpo::gateway
