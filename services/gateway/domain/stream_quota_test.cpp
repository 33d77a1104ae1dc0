#include "gateway/domain/stream_quota.hpp"

#include <gtest/gtest.h>

namespace kpo::gateway {
namespace {

TEST(StreamQuota, AnAddressHoldsAtMostItsQuotaAndGetsAStreamBackWhenOneCloses) {
  StreamQuota quota(2);
  EXPECT_TRUE(quota.TryOpen("198.51.100.1"));
  EXPECT_TRUE(quota.TryOpen("198.51.100.1"));
  EXPECT_FALSE(quota.TryOpen("198.51.100.1"));
  EXPECT_TRUE(quota.TryOpen("198.51.100.2")) << "another address has its own quota";
  quota.Close("198.51.100.1");
  EXPECT_EQ(quota.Open("198.51.100.1"), 1U);
  EXPECT_TRUE(quota.TryOpen("198.51.100.1"));
}

TEST(StreamQuota, AnAddressThatClosedAllItsStreamsIsForgotten) {
  StreamQuota quota(1);
  ASSERT_TRUE(quota.TryOpen("198.51.100.1"));
  quota.Close("198.51.100.1");
  quota.Close("198.51.100.1");  // one close too many changes nothing
  EXPECT_EQ(quota.Open("198.51.100.1"), 0U);
  EXPECT_TRUE(quota.TryOpen("198.51.100.1"));
}

TEST(StreamQuota, ZeroMeansNoBound) {
  StreamQuota quota(0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(quota.TryOpen("198.51.100.1"));
}

}  // namespace
}  // namespace kpo::gateway
