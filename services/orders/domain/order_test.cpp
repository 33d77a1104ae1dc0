#include "orders/domain/order.hpp"

#include <gtest/gtest.h>

namespace kpo::orders {
namespace {

TEST(Order, NewOrderStartsCreatedWithACreatedStep) {
  auto now = *core::ParseRfc3339("2026-11-25T10:00:00Z");
  auto order = NewOrder("id", "user", 500, "tea", now);
  EXPECT_EQ(order.status, OrderStatus::kCreated);
  EXPECT_FALSE(order.failure_reason);
  ASSERT_EQ(order.timeline.size(), 1U);
  EXPECT_EQ(order.timeline[0].step, "created");
  EXPECT_EQ(order.timeline[0].at, "2026-11-25T10:00:00.000000Z");
}

TEST(Order, PaymentResultMovesOnlyACreatedOrder) {
  const PaymentOutcome paid{true, std::nullopt};
  const PaymentOutcome refused{false, FailureReason::kInsufficientFunds};
  EXPECT_EQ(NextStatus(OrderStatus::kCreated, paid), OrderStatus::kFinished);
  EXPECT_EQ(NextStatus(OrderStatus::kCreated, refused), OrderStatus::kCancelled);
  EXPECT_FALSE(NextStatus(OrderStatus::kFinished, refused));
  EXPECT_FALSE(NextStatus(OrderStatus::kCancelled, paid));
}

TEST(Order, AFailedPaymentCancelsWithItsReasonAndTwoSteps) {
  auto order = NewOrder("o", "u", 500, "desk", core::Now());
  const auto steps = ApplyPaymentOutcome(order, {false, FailureReason::kInsufficientFunds},
                                         "2026-12-01T10:00:00.000Z", "2026-12-01T10:00:00.005Z");
  ASSERT_EQ(steps.size(), 2U);
  EXPECT_EQ(steps[0].step, kStepPaymentFailed);
  EXPECT_EQ(steps[0].at, "2026-12-01T10:00:00.000Z");
  EXPECT_EQ(steps[1].step, kStepCancelled);
  EXPECT_EQ(order.status, OrderStatus::kCancelled);
  EXPECT_EQ(order.failure_reason, FailureReason::kInsufficientFunds);
  EXPECT_EQ(order.updated_at, "2026-12-01T10:00:00.005Z");
  EXPECT_EQ(order.timeline.size(), 3U);
}

// A relay died between the broker's confirm and its commit and published again; the repeat committed
// before the payment result was applied.
TEST(Order, APublishedStepLaterThanThePaymentTakesThePaymentsTime) {
  auto order = NewOrder("o", "u", 500, "desk", core::Now());
  order.timeline.push_back({std::string(kStepPublished), "2026-12-01T10:00:08.000000Z"});
  ApplyPaymentOutcome(order, {true, std::nullopt}, "2026-12-01T10:00:03.000000Z",
                      "2026-12-01T10:00:09.000000Z");
  ASSERT_EQ(order.timeline.size(), 4U);
  EXPECT_EQ(order.timeline[1].at, "2026-12-01T10:00:03.000000Z");

  auto on_time = NewOrder("p", "u", 500, "desk", core::Now());
  on_time.timeline.push_back({std::string(kStepPublished), "2026-12-01T10:00:01.000000Z"});
  ApplyPaymentOutcome(on_time, {true, std::nullopt}, "2026-12-01T10:00:03.000000Z",
                      "2026-12-01T10:00:09.000000Z");
  EXPECT_EQ(on_time.timeline[1].at, "2026-12-01T10:00:01.000000Z");
}

TEST(Order, ASecondOutcomeChangesNothing) {
  auto order = NewOrder("o", "u", 500, "desk", core::Now());
  ASSERT_EQ(ApplyPaymentOutcome(order, {true, std::nullopt}, "a", "b").size(), 2U);
  const auto before = order.timeline.size();
  EXPECT_TRUE(ApplyPaymentOutcome(order, {false, FailureReason::kAccountNotFound}, "c", "d").empty());
  EXPECT_EQ(order.status, OrderStatus::kFinished);
  EXPECT_FALSE(order.failure_reason);
  EXPECT_EQ(order.timeline.size(), before);
}

TEST(Order, NamesRoundTrip) {
  for (auto status : {OrderStatus::kCreated, OrderStatus::kFinished, OrderStatus::kCancelled}) {
    EXPECT_EQ(ParseOrderStatus(ToString(status)), status);
  }
  EXPECT_EQ(ParseFailureReason("account_not_found"), FailureReason::kAccountNotFound);
  EXPECT_FALSE(ParseFailureReason("bored"));
  EXPECT_FALSE(ParseOrderStatus("created"));
}

}  // namespace
}  // namespace kpo::orders
