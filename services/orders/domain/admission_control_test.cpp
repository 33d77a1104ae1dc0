#include "orders/domain/admission_control.hpp"

#include <gtest/gtest.h>

namespace kpo::orders {
namespace {

// The figures below are for a 250 ms target and a 1 s bound.
AdmissionPolicy TestPolicy() {
  AdmissionPolicy policy;
  policy.target_lag_ms = 250;
  policy.max_lag_ms = 1000;
  return policy;
}

AdmissionSample Sample(double lag_ms, double completed_per_s, double offered_per_s) {
  return {.lag_ms = lag_ms, .completed_per_s = completed_per_s, .offered_per_s = offered_per_s};
}

TEST(AdmissionControl, AdmitsEverythingWhileThePipelineKeepsUp) {
  AdmissionControl control(TestPolicy());
  EXPECT_FALSE(control.Update(Sample(5, 1000, 1000)));
  EXPECT_FALSE(control.Update(Sample(250, 3000, 3000)));
}

TEST(AdmissionControl, OnceBehindAdmitsWhatIsCompleting) {
  AdmissionControl control(TestPolicy());
  const auto limit = control.Update(Sample(300, 1200, 2600));
  ASSERT_TRUE(limit);
  EXPECT_DOUBLE_EQ(*limit, 1200);
}

TEST(AdmissionControl, AdmitsLessThanCompletesWhileTheBacklogIsAboveTheTarget) {
  AdmissionControl control(TestPolicy());
  control.Update(Sample(300, 1200, 2600));
  const auto limit = control.Update(Sample(300, 1000, 2600));
  ASSERT_TRUE(limit);
  EXPECT_DOUBLE_EQ(*limit, 900);
}

TEST(AdmissionControl, ProbesUpwardWhileTheBacklogIsSmallButNeverFarPastCompletions) {
  AdmissionControl control(TestPolicy());
  control.Update(Sample(300, 1000, 2600));
  auto limit = control.Update(Sample(100, 1000, 2600));
  ASSERT_TRUE(limit);
  EXPECT_DOUBLE_EQ(*limit, 1050);
  for (int i = 0; i < 100; ++i) limit = control.Update(Sample(100, 1000, 2600));
  ASSERT_TRUE(limit);
  EXPECT_DOUBLE_EQ(*limit, 1500);
}

TEST(AdmissionControl, AnIdleSpellDoesNotLowerTheLimit) {
  AdmissionControl control(TestPolicy());
  control.Update(Sample(300, 1000, 2600));
  // Nothing completes for a second while a small backlog remains.
  for (int i = 0; i < 10; ++i) control.Update(Sample(100, 0, 0));
  ASSERT_TRUE(control.Limit());
  EXPECT_DOUBLE_EQ(*control.Limit(), 1000);
}

TEST(AdmissionControl, HoldsTheLimitBetweenHalfTheTargetAndTheTarget) {
  AdmissionControl control(TestPolicy());
  control.Update(Sample(300, 1000, 2600));
  EXPECT_DOUBLE_EQ(*control.Update(Sample(200, 1400, 2600)), 1000);
}

TEST(AdmissionControl, FarBehindAdmitsHalfOfWhatCompletesAndNothingWhenNothingCompletes) {
  AdmissionControl control(TestPolicy());
  control.Update(Sample(300, 1000, 2600));
  EXPECT_DOUBLE_EQ(*control.Update(Sample(1500, 800, 2600)), 400);
  EXPECT_DOUBLE_EQ(*control.Update(Sample(5000, 0, 2600)), 0);
  // Caught up again: at least the floor, so completions can be measured.
  EXPECT_DOUBLE_EQ(*control.Update(Sample(200, 0, 2600)), AdmissionPolicy{}.min_rate);
}

TEST(AdmissionControl, LiftsTheLimitOnlyAfterDemandStaysBelowItForAWhile) {
  auto policy = TestPolicy();
  policy.calm_updates_to_open = 3;
  AdmissionControl control(policy);
  control.Update(Sample(300, 1000, 2600));
  // A small backlog (above a quarter of the target) while demand is below the limit.
  EXPECT_TRUE(control.Update(Sample(100, 500, 500)));
  EXPECT_TRUE(control.Update(Sample(100, 500, 500)));
  // A busy update starts the count again.
  EXPECT_TRUE(control.Update(Sample(100, 1000, 2600)));
  EXPECT_TRUE(control.Update(Sample(100, 500, 500)));
  EXPECT_TRUE(control.Update(Sample(100, 500, 500)));
  EXPECT_FALSE(control.Update(Sample(100, 500, 500)));
  EXPECT_FALSE(control.Limit());
}

TEST(AdmissionControl, LiftsTheLimitOnceTheBacklogIsGoneEvenUnderDemand) {
  AdmissionControl control(TestPolicy());
  // A stall: nothing completes, the lag passes the bound, nothing is admitted.
  control.Update(Sample(300, 0, 100));
  EXPECT_DOUBLE_EQ(*control.Update(Sample(1200, 0, 100)), 0);
  // The stall is over and the backlog drained: three updates without one lift the limit.
  EXPECT_TRUE(control.Update(Sample(20, 900, 100)));
  EXPECT_TRUE(control.Update(Sample(20, 900, 100)));
  EXPECT_FALSE(control.Update(Sample(20, 900, 2600)));
}

}  // namespace
}  // namespace kpo::orders
