#include "core/money.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace kpo::core {
namespace {

TEST(Money, AmountBoundsFollowTheContract) {
  EXPECT_FALSE(IsValidAmount(0));
  EXPECT_FALSE(IsValidAmount(-1));
  EXPECT_TRUE(IsValidAmount(1));
  EXPECT_TRUE(IsValidAmount(1'000'000'000'000));
  EXPECT_FALSE(IsValidAmount(1'000'000'000'001));
}

TEST(Money, CheckedArithmeticDetectsOverflow) {
  constexpr auto kMax = std::numeric_limits<Minor>::max();
  EXPECT_EQ(CheckedAdd(2, 3), 5);
  EXPECT_FALSE(CheckedAdd(kMax, 1));
  EXPECT_EQ(CheckedSub(5, 7), -2);
  EXPECT_FALSE(CheckedSub(std::numeric_limits<Minor>::min(), 1));
}

}  // namespace
}  // namespace kpo::core
