#include "core/clock.hpp"

#include <gtest/gtest.h>

namespace kpo::core {
namespace {

TEST(Clock, FormatsAndParsesRfc3339) {
  auto parsed = ParseRfc3339("2026-11-25T20:40:22.123456Z");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(FormatRfc3339(*parsed), "2026-11-25T20:40:22.123456Z");
  EXPECT_EQ(ParseRfc3339("2026-11-25T23:40:22+03:00"), ParseRfc3339("2026-11-25T20:40:22Z"));
  EXPECT_EQ(ParseRfc3339("2026-11-25T20:40:22.5Z"), ParseRfc3339("2026-11-25T20:40:22.500000Z"));
}

TEST(Clock, RejectsMalformedTimes) {
  EXPECT_FALSE(ParseRfc3339("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-11-25 20:40:22"));
  EXPECT_FALSE(ParseRfc3339("2026-11-25T20:40:22"));
  EXPECT_FALSE(ParseRfc3339("yesterday"));
}

TEST(Clock, NowRoundTrips) {
  auto now = Now();
  EXPECT_EQ(ParseRfc3339(FormatRfc3339(now)), now);
}

}  // namespace
}  // namespace kpo::core
