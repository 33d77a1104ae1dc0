#include "orders/domain/admission_policy.hpp"

#include <gtest/gtest.h>

namespace kpo::orders {
namespace {

using std::chrono::milliseconds;

TEST(AdmissionPolicy, GrantsTheRoomLeftUnderTheBoundOnWaitingOrders) {
  const AdmissionBounds bounds{.max_lag = milliseconds(1000), .max_pending = 1000};
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 0, .lag_ms = 0}), 1000);
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 880, .lag_ms = 400}), 120);
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 1000, .lag_ms = 400}), 0);
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 1001, .lag_ms = 400}), 0);
}

TEST(AdmissionPolicy, AStalledPipelineGetsNothingHoweverFewWait) {
  const AdmissionBounds bounds{.max_lag = milliseconds(1000), .max_pending = 1000};
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 1, .lag_ms = 1001}), 0);
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 1, .lag_ms = 60'000}), 0);
}

// Orders that left the window unpaid, with none paid for after them: refused past the window too,
// but for one probe whenever none of the window waits.
TEST(AdmissionPolicy, AStallOutlastingTheWindowGetsOneProbeAtATime) {
  const AdmissionBounds bounds{.max_lag = milliseconds(1000), .max_pending = 1000};
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 0, .lag_ms = 0, .stalled = true}), 1);
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 1, .lag_ms = 5, .stalled = true}), 0);
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 1, .lag_ms = 5000, .stalled = true}), 0);
  EXPECT_EQ(AdmissionsFor({.max_lag = milliseconds(1000), .max_pending = 0}, {.waiting = 1, .stalled = true}),
            0);
  EXPECT_EQ(AdmissionsFor({.max_lag = milliseconds(0), .max_pending = 10}, {.waiting = 1, .stalled = true}),
            kUnboundedAdmissions);
}

// The lag sets the longest-waiting tenth aside: one late batch while the rest move neither tapers the
// grant nor closes the door, as keying on the oldest did.
TEST(AdmissionPolicy, TheOldestAloneNeitherTapersNorRefuses) {
  const AdmissionBounds bounds{.max_lag = milliseconds(1000), .max_pending = 1000};
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 600, .oldest_ms = 1400, .lag_ms = 300}), 400);
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 600, .oldest_ms = 1400, .lag_ms = 750}), 200);
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 600, .oldest_ms = 1400, .lag_ms = 1001}), 0);
}

TEST(AdmissionPolicy, TheGrantTapersFromHalfTheLagBoundToNoneAtIt) {
  const AdmissionBounds bounds{.max_lag = milliseconds(1000), .max_pending = 1000};
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 200, .lag_ms = 500}), 800);
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 200, .lag_ms = 750}), 400);
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 200, .lag_ms = 900}), 160);
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 200, .lag_ms = 1000}), 0);
  // Only the cut-off applies without a bound on the count.
  EXPECT_EQ(AdmissionsFor({.max_lag = milliseconds(1000), .max_pending = 0}, {.waiting = 5, .lag_ms = 900}),
            kUnboundedAdmissions);
}

TEST(AdmissionPolicy, ZeroBoundsTurnTheirCheckOff) {
  EXPECT_EQ(AdmissionsFor({.max_lag = milliseconds(0), .max_pending = 10}, {.waiting = 50, .lag_ms = 9000}),
            kUnboundedAdmissions);
  EXPECT_EQ(
      AdmissionsFor({.max_lag = milliseconds(1000), .max_pending = 0}, {.waiting = 50'000, .lag_ms = 10}),
      kUnboundedAdmissions);
  EXPECT_EQ(AdmissionsFor({.max_lag = milliseconds(1000), .max_pending = 0}, {.waiting = 1, .lag_ms = 1001}),
            0);
}

// Three replicas read the same backlog: each lets in a third, so together they stay under the
// bound as one replica does (before, each let in all the room).
TEST(AdmissionPolicy, ReplicasShareTheGrant) {
  const AdmissionBounds bounds{.max_lag = milliseconds(1000), .max_pending = 1000};
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 400, .lag_ms = 100, .replicas = 3}), 200);
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 200, .lag_ms = 750, .replicas = 2}), 200);
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 999, .lag_ms = 100, .replicas = 3}), 1);  // rounded up
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 1000, .lag_ms = 100, .replicas = 3}), 0);
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 0, .stalled = true, .replicas = 4}), 1);  // a probe each
  EXPECT_EQ(AdmissionsFor({.max_lag = milliseconds(1000), .max_pending = 0}, {.waiting = 5, .replicas = 2}),
            kUnboundedAdmissions);
  // A count of none (its own session is always there in a replica; a test may measure without one)
  // is taken as one, the replica itself.
  EXPECT_EQ(AdmissionsFor(bounds, {.waiting = 400, .lag_ms = 100, .replicas = 0}), 600);
}

}  // namespace
}  // namespace kpo::orders
