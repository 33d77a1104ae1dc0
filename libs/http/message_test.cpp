#include "http/message.hpp"

#include <gtest/gtest.h>

namespace kpo::http {
namespace {

TEST(Message, ParsesTargetWithDecodedQuery) {
  auto parsed = ParseTarget("/api/orders?limit=5&before=a%20b");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->first, "/api/orders");
  EXPECT_EQ(parsed->second.at("limit"), "5");
  EXPECT_EQ(parsed->second.at("before"), "a b");
}

TEST(Message, RejectsInvalidTarget) { EXPECT_FALSE(ParseTarget("/bad%zz")); }

TEST(Message, MediaTypeIgnoresParametersAndCase) {
  EXPECT_EQ(MediaType("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(MediaType("text/plain"), "text/plain");
}

TEST(Message, HeaderLookupIsCaseInsensitive) {
  Headers headers{{"X-Request-Id", "42"}};
  EXPECT_EQ(FindHeader(headers, "x-request-id"), "42");
  EXPECT_FALSE(FindHeader(headers, "x-other"));
}

}  // namespace
}  // namespace kpo::http
