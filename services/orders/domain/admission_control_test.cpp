#include "orders/domain/admission_control.hpp"

#include <gtest/gtest.h>

namespace kpo::orders {
namespace {

AdmissionSample Sample(double lag_ms, double completed_per_s, double offered_per_s) {
  return {.lag_ms = lag_ms, .completed_per_s = completed_per_s, .offered_per_s = offered_per_s};
}

TEST(AdmissionControl, AdmitsEverythingWhileThePipelineKeepsUp) {
  AdmissionControl control;
  EXPECT_FALSE(control.Update(Sample(5, 1000, 1000)));
  EXPECT_FALSE(control.Update(Sample(250, 3000, 3000)));
}

TEST(AdmissionControl, OnceBehindAdmitsWhatIsCompleting) {
  AdmissionControl control;
  const auto limit = control.Update(Sample(300, 1200, 2600));
  ASSERT_TRUE(limit);
  EXPECT_DOUBLE_EQ(*limit, 1200);
}

TEST(AdmissionControl, AdmitsLessThanCompletesWhileTheBacklogIsAboveTheTarget) {
  AdmissionControl control;
  control.Update(Sample(300, 1200, 2600));
  const auto limit = control.Update(Sample(300, 1000, 2600));
  ASSERT_TRUE(limit);
  EXPECT_DOUBLE_EQ(*limit, 900);
}

TEST(AdmissionControl, ProbesUpwardWhileTheBacklogIsSmallButNeverFarPastCompletions) {
  AdmissionControl control;
  control.Update(Sample(300, 1000, 2600));
  auto limit = control.Update(Sample(50, 1000, 2600));
  ASSERT_TRUE(limit);
  EXPECT_DOUBLE_EQ(*limit, 1050);
  for (int i = 0; i < 100; ++i) limit = control.Update(Sample(50, 1000, 2600));
  ASSERT_TRUE(limit);
  EXPECT_DOUBLE_EQ(*limit, 1500);
}

TEST(AdmissionControl, AnIdleSpellDoesNotLowerTheLimit) {
  AdmissionControl control;
  control.Update(Sample(300, 1000, 2600));
  for (int i = 0; i < 10; ++i) control.Update(Sample(0, 0, 0));
  EXPECT_DOUBLE_EQ(*control.Limit(), 1000);
}

TEST(AdmissionControl, HoldsTheLimitBetweenHalfTheTargetAndTheTarget) {
  AdmissionControl control;
  control.Update(Sample(300, 1000, 2600));
  EXPECT_DOUBLE_EQ(*control.Update(Sample(200, 1400, 2600)), 1000);
}

TEST(AdmissionControl, FarBehindAdmitsHalfOfWhatCompletesAndNothingWhenNothingCompletes) {
  AdmissionControl control;
  control.Update(Sample(300, 1000, 2600));
  EXPECT_DOUBLE_EQ(*control.Update(Sample(1500, 800, 2600)), 400);
  EXPECT_DOUBLE_EQ(*control.Update(Sample(5000, 0, 2600)), 0);
  // Caught up again: at least the floor, so completions can be measured.
  EXPECT_DOUBLE_EQ(*control.Update(Sample(200, 0, 2600)), AdmissionPolicy{}.min_rate);
}

TEST(AdmissionControl, LiftsTheLimitOnlyAfterDemandStaysBelowItForAWhile) {
  AdmissionPolicy policy;
  policy.calm_updates_to_open = 3;
  AdmissionControl control(policy);
  control.Update(Sample(300, 1000, 2600));
  EXPECT_TRUE(control.Update(Sample(10, 500, 500)));
  EXPECT_TRUE(control.Update(Sample(10, 500, 500)));
  // A busy update starts the count again.
  EXPECT_TRUE(control.Update(Sample(10, 1000, 2600)));
  EXPECT_TRUE(control.Update(Sample(10, 500, 500)));
  EXPECT_TRUE(control.Update(Sample(10, 500, 500)));
  EXPECT_FALSE(control.Update(Sample(10, 500, 500)));
  EXPECT_FALSE(control.Limit());
}

}  // namespace
}  // namespace kpo::orders
