#include "core/clock.hpp"

#include <gtest/gtest.h>

namespace kpo::core {
namespace {

// Found by fuzz/amqp_body_fuzz: from_chars took a sign, so "T-1:00:00" was read as an hour of -1,
// and an offset or leap second could move a time past year 9999, which formats as five digits.
TEST(Clock, Rfc3339FieldsAreDigitsAndTheYearStaysWithinFourDigits) {
  for (const char* text :
       {"2026-11-25T-1:40:22Z", "2026-11-25T20:-1:22Z", "2026-11-25T20:40:-1Z", "-026-11-25T20:40:22Z",
        "2026-11-25T20:40:22+-1:00", "2026-11-25T20:40:22+01:-1", "9999-12-31T23:59:60Z",
        "9999-12-31T23:59:59-00:01", "0001-01-01T00:00:00+00:01"}) {
    EXPECT_FALSE(ParseRfc3339(text)) << text;
  }
  for (const char* text : {"9999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00Z", "2026-12-31T23:59:60Z"}) {
    const auto parsed = ParseRfc3339(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(ParseRfc3339(FormatRfc3339(*parsed)), parsed) << text;
  }
}

// PostgreSQL has no year 0 (22008 "date/time field value out of range"): a payment result stamped
// in it passed the message's parsing, then failed every transaction it was applied in and was
// retried for ~45 deliveries instead of being dead-lettered once as malformed.
TEST(Clock, Rfc3339TimesStartInYearOneAsInPostgreSql) {
  for (const char* text :
       {"0000-06-01T00:00:00Z", "0000-12-31T23:59:59.999999Z", "0001-01-01T00:30:00+01:00"}) {
    EXPECT_FALSE(ParseRfc3339(text)) << text;
  }
  EXPECT_TRUE(ParseRfc3339("0001-01-01T00:30:00-01:00"));
}

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

TEST(Clock, FormatsHttpDatesAsImfFixdate) {
  using namespace std::chrono;
  // RFC 9110 §5.6.7's own example.
  EXPECT_EQ(FormatHttpDate(sys_days{1994y / November / 6} + 8h + 49min + 37s),
            "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(FormatHttpDate(sys_days{2026y / December / 31} + 23h + 59min + 59s),
            "Thu, 31 Dec 2026 23:59:59 GMT");
  EXPECT_EQ(FormatHttpDate(sys_days{2027y / January / 1}), "Fri, 01 Jan 2027 00:00:00 GMT");
}

TEST(Clock, NowRoundTrips) {
  auto now = Now();
  EXPECT_EQ(ParseRfc3339(FormatRfc3339(now)), now);
}

}  // namespace
}  // namespace kpo::core
