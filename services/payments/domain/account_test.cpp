#include "payments/domain/account.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace kpo::payments {
namespace {

TEST(Account, ChargeWithinBalanceGoesThrough) {
  auto decision = DecideCharge(1000, 1000);
  EXPECT_EQ(decision.balance_after, 0);
  EXPECT_FALSE(decision.failure);
}

TEST(Account, ChargeAboveBalanceIsRefusedWithoutGoingNegative) {
  auto decision = DecideCharge(999, 1000);
  EXPECT_FALSE(decision.balance_after);
  EXPECT_EQ(decision.failure, ChargeFailure::kInsufficientFunds);
}

TEST(Account, ChargeWithoutAccountFailsAsAccountNotFound) {
  EXPECT_EQ(DecideCharge(std::nullopt, 1).failure, ChargeFailure::kAccountNotFound);
}

TEST(Account, ChargeNeverOverflows) {
  EXPECT_EQ(DecideCharge(0, std::numeric_limits<core::Minor>::max()).failure,
            ChargeFailure::kInsufficientFunds);
  EXPECT_EQ(DecideCharge(5, -1).failure, ChargeFailure::kInsufficientFunds);
}

TEST(Account, DepositIsBoundedByTheMaximumBalance) {
  EXPECT_EQ(BalanceAfterDeposit(10, 5), 15);
  EXPECT_EQ(BalanceAfterDeposit(kMaxBalance - 5, 5), kMaxBalance);
  EXPECT_FALSE(BalanceAfterDeposit(kMaxBalance - 4, 5));
  EXPECT_FALSE(BalanceAfterDeposit(std::numeric_limits<core::Minor>::max(), 1));
  EXPECT_FALSE(BalanceAfterDeposit(10, 0));
}

TEST(Account, NamesFollowTheContract) {
  EXPECT_EQ(ToString(EntryKind::kDeposit), "deposit");
  EXPECT_EQ(ToString(EntryKind::kCharge), "charge");
  EXPECT_EQ(ToString(ChargeFailure::kInsufficientFunds), "insufficient_funds");
  EXPECT_EQ(ToString(ChargeFailure::kAccountNotFound), "account_not_found");
}

}  // namespace
}  // namespace kpo::payments
