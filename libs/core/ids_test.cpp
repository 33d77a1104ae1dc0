#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

namespace kpo::core {
namespace {

TEST(Ids, NewUuidIsVersion7AndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = NewUuid();
    ASSERT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '7');
    EXPECT_TRUE(std::string("89ab").find(id[19]) != std::string::npos);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000U);
}

TEST(Ids, NewUuidStartsWithTheUnixMilliseconds) {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const auto id = NewUuid();
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const auto ms = std::stoll(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
  EXPECT_GE(ms, before);
  EXPECT_LE(ms, after);
}

TEST(Ids, NewUuidsOfLaterMillisecondsSortAfter) {
  const auto first = NewUuid();
  const auto start = std::chrono::system_clock::now();
  // What is under test is the clock moving on: wait for the next millisecond (and one more).
  while (std::chrono::system_clock::now() - start < std::chrono::milliseconds(2)) {
  }
  EXPECT_LT(first, NewUuid());
}

TEST(Ids, ValidatesAndNormalisesUuids) {
  EXPECT_FALSE(IsUuid("not-a-uuid"));
  EXPECT_FALSE(IsUuid("0123456789abcdef0123456789abcdef0123"));
  EXPECT_EQ(NormalizeUuid("0A1B2C3D-0000-4000-8000-00000000000F"), "0a1b2c3d-0000-4000-8000-00000000000f");
  EXPECT_FALSE(NormalizeUuid("0a1b2c3d-0000-4000-8000-00000000000g"));
}

TEST(Ids, TraceParentRoundTripsAndChildKeepsTrace) {
  auto parent = TraceParent::Parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  ASSERT_TRUE(parent);
  auto child = parent->Child();
  EXPECT_EQ(child.trace_id, parent->trace_id);
  EXPECT_NE(child.span_id, parent->span_id);
  EXPECT_TRUE(TraceParent::Parse(child.ToString()));
  EXPECT_FALSE(TraceParent::Parse("00-00000000000000000000000000000000-b7ad6b7169203331-01"));
  EXPECT_FALSE(TraceParent::Parse("garbage"));
  // Lower-case hex only; version ff is invalid; 00 has no trailing fields, later versions may.
  EXPECT_FALSE(TraceParent::Parse("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"));
  EXPECT_FALSE(TraceParent::Parse("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
  EXPECT_FALSE(TraceParent::Parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x"));
  EXPECT_FALSE(TraceParent::Parse("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x"));
  auto future = TraceParent::Parse("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future");
  ASSERT_TRUE(future);
  EXPECT_EQ(future->trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(future->ToString(), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
}

TEST(Ids, TraceAndSpanIdsOfATraceparentAreEmptyWhenItIsTooShort) {
  constexpr std::string_view kHeader = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  EXPECT_EQ(TraceIdOf(kHeader), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(SpanIdOf(kHeader), "b7ad6b7169203331");
  // A request whose traceparent was never set (or was moved out) must not throw out_of_range.
  EXPECT_EQ(TraceIdOf(""), "");
  EXPECT_EQ(SpanIdOf("00-0af7"), "");
  EXPECT_EQ(TraceIdOf(kHeader.substr(0, 54)), "");
}

}  // namespace
}  // namespace kpo::core
