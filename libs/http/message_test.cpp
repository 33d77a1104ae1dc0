#include "http/message.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace kpo::http {
namespace {

// RFC 9110 §6.6.1: every answer carries the server's Date, once, whatever a handler (or the answer
// the gateway proxies) set.
TEST(ResponseHeadTest, CarriesTheServersDateOnce) {
  Response response{.status = 200,
                    .headers = {{"Date", "Thu, 01 Jan 1970 00:00:00 GMT"}},
                    .body = "",
                    .stream = {},
                    .reason = {}};
  const auto head = ResponseHead(response, 0, 11, true);
  const auto first = head.find("\r\nDate: ");
  ASSERT_NE(first, std::string::npos) << head;
  EXPECT_EQ(head.find("\r\nDate: ", first + 1), std::string::npos) << head;
  EXPECT_EQ(head.find("1970"), std::string::npos) << head;
  const auto value = head.substr(first + 8, head.find("\r\n", first + 2) - first - 8);
  EXPECT_TRUE(std::regex_match(
      value, std::regex(R"([A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)")))
      << value;
}

TEST(Message, ParsesTargetWithDecodedQuery) {
  auto parsed = ParseTarget("/api/orders?limit=5&before=a%20b");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->path, "/api/orders");
  EXPECT_EQ(parsed->query.at("limit"), "5");
  EXPECT_EQ(parsed->query.at("before"), "a b");
}

TEST(Message, RecordsQueryNamesGivenMoreThanOnce) {
  auto parsed = ParseTarget("/api/orders?limit=1&before=x&limit=2&flag&flag");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->query.at("limit"), "2");
  EXPECT_EQ(parsed->repeated, (std::set<std::string>{"limit", "flag"}));
  EXPECT_TRUE(ParseTarget("/api/orders?limit=1&before=x")->repeated.empty());
}

TEST(Message, RejectsInvalidTarget) {
  EXPECT_FALSE(ParseTarget("/bad%zz"));
  EXPECT_FALSE(ParseTarget("/spaced path"));
  EXPECT_FALSE(ParseTarget("api/orders"));
  EXPECT_FALSE(ParseTarget(""));
}

TEST(Message, PlainPathsAreTheirOwnDecodedForm) {
  for (std::string_view target : {"/", "/api/orders/2b1c-x", "/a/b;c=d/@e:f/~g'h(i)*+,$!&"}) {
    auto parsed = ParseTarget(target);
    ASSERT_TRUE(parsed) << target;
    EXPECT_EQ(parsed->path, target);
    EXPECT_TRUE(parsed->query.empty());
  }
  auto encoded = ParseTarget("/api/orders/a%20b%7E");
  ASSERT_TRUE(encoded);
  EXPECT_EQ(encoded->path, "/api/orders/a b~");
}

// An encoded slash is data within a segment: decoding it would make "/api%2Forders" another
// spelling of "/api/orders", past any path rule in front of the server.
TEST(Message, AnEncodedSlashStaysEncodedInThePath) {
  for (std::string_view target : {"/api%2Forders", "/api%2forders"}) {
    auto parsed = ParseTarget(target);
    ASSERT_TRUE(parsed) << target;
    EXPECT_EQ(parsed->path, "/api%2Forders");
  }
  auto mixed = ParseTarget("/api/orders/a%2Fb%25c?x=%2F");
  ASSERT_TRUE(mixed);
  EXPECT_EQ(mixed->path, "/api/orders/a%2Fb%c");
  EXPECT_EQ(mixed->query.at("x"), "/");
}

TEST(Message, MediaTypeIgnoresParametersAndCase) {
  EXPECT_EQ(MediaType("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(MediaType("text/plain"), "text/plain");
}

TEST(Message, AJsonBodyIsReadOnlyWithoutACharsetOrInUtf8) {
  EXPECT_TRUE(IsUtf8Json("application/json"));
  EXPECT_TRUE(IsUtf8Json("Application/JSON; charset=utf-8"));
  EXPECT_TRUE(IsUtf8Json("application/json;charset=\"UTF-8\""));
  EXPECT_TRUE(IsUtf8Json("application/json; foo=bar"));
  EXPECT_FALSE(IsUtf8Json("application/json; charset=utf-16"));
  EXPECT_FALSE(IsUtf8Json("application/json; foo=bar; Charset=ISO-8859-1"));
  EXPECT_FALSE(IsUtf8Json("text/plain; charset=utf-8"));
  EXPECT_FALSE(IsUtf8Json("application/json; charset"));  // which one is not said
  EXPECT_TRUE(IsUtf8Json("application/json;"));           // an empty parameter is allowed
}

TEST(Message, AnAbsoluteFormTargetIsServedAsItsOriginForm) {
  EXPECT_EQ(OriginFormOf("http://evil.example/api/orders?limit=1"), "/api/orders?limit=1");
  EXPECT_EQ(OriginFormOf("HTTPS://h:8443"), "/");
  EXPECT_FALSE(OriginFormOf("ftp://h/x"));
  EXPECT_FALSE(OriginFormOf("*"));
  EXPECT_FALSE(OriginFormOf("not a target"));
}

TEST(Message, AHostIsANameOrAddressWithAnOptionalPort) {
  for (const char* valid :
       {"", "localhost", "localhost:5005", "a.b-c_d~e", "10.0.0.1:", "[::1]", "[fe80::1]:80"}) {
    EXPECT_TRUE(IsValidHost(valid)) << valid;
  }
  for (const char* invalid : {"a b", "a/b", "user@host", "host:80x", "[::1", "[::1]x", "[zz]", "h:1:2"}) {
    EXPECT_FALSE(IsValidHost(invalid)) << invalid;
  }
}

TEST(Message, HeaderLookupIsCaseInsensitive) {
  Headers headers{{"X-Request-Id", "42"}};
  EXPECT_EQ(FindHeader(headers, "x-request-id"), "42");
  EXPECT_FALSE(FindHeader(headers, "x-other"));
}

}  // namespace
}  // namespace kpo::http
