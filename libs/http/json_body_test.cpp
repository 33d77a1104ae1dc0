#include "http/json_body.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/utf8.hpp"
#include "http/message.hpp"
#include "http/problem.hpp"

namespace kpo::http {
namespace {

FieldErrors ErrorsOf(std::string_view body) {
  try {
    JsonBody reader(body, {"amount", "description"});
    reader.Int("amount", 1, 1'000'000'000'000);
    reader.String("description", 1, 500);
    reader.Finish();
  } catch (const ProblemError& problem) {
    EXPECT_EQ(problem.Status(), 422);
    auto response = problem.ToResponse();
    EXPECT_NE(response.body.find("\"status\":422"), std::string::npos);
    EXPECT_NE(response.body.find("\"errors\":{"), std::string::npos);
    boost::system::error_code ec;
    boost::json::parse(response.body, ec);  // strict: valid UTF-8 only
    EXPECT_FALSE(ec) << "the problem+json is not valid JSON: " << response.body;
    return problem.Errors();
  }
  return {};
}

TEST(JsonBody, AcceptsAValidBody) { EXPECT_TRUE(ErrorsOf(R"({"amount":100,"description":"tea"})").empty()); }

TEST(JsonBody, RejectsMalformedJsonAndNonObjects) {
  EXPECT_THROW(JsonBody("{", {}), ProblemError);
  EXPECT_THROW(JsonBody("[1]", {}), ProblemError);
  EXPECT_THROW(JsonBody("", {}), ProblemError);
  EXPECT_NO_THROW(JsonBody("", {}, true));
}

TEST(JsonBody, AFieldNamedTwiceIsRefusedNotResolvedByTheLastOne) {
  EXPECT_EQ(ErrorsOf(R"({"amount":1,"description":"tea","amount":1000})").at("amount"),
            "appears more than once");
  EXPECT_EQ(ErrorsOf(R"({"amount":1,"description":"a","descr\u0069ption":"b"})").at("description"),
            "appears more than once")
      << "an escaped spelling is the same key";
  EXPECT_TRUE(ErrorsOf(R"({"amount":1,"description":"x","n":{"amount":2}})").contains("n"))
      << "the same name in a nested object is no duplicate (n is merely unknown)";
  EXPECT_FALSE(ErrorsOf(R"({"amount":1,"description":"x","n":{"amount":2}})").contains("amount"));
}

TEST(JsonBody, AmountMustBeAWholeNumberInRange) {
  for (const auto* body :
       {R"({"amount":0,"description":"x"})", R"({"amount":-5,"description":"x"})",
        R"({"amount":1000000000001,"description":"x"})", R"({"amount":1.5,"description":"x"})",
        R"({"amount":"100","description":"x"})", R"({"amount":1e3,"description":"x"})",
        R"({"amount":18446744073709551615,"description":"x"})", R"({"description":"x"})"}) {
    auto errors = ErrorsOf(body);
    EXPECT_EQ(errors.count("amount"), 1U) << body;
  }
  EXPECT_TRUE(ErrorsOf(R"({"amount":1000000000000,"description":"x"})").empty());
}

TEST(JsonBody, DescriptionLengthCountsCodePoints) {
  EXPECT_EQ(ErrorsOf(R"({"amount":1,"description":""})").count("description"), 1U);
  const std::string five_hundred_cyrillic = [] {
    std::string s;
    for (int i = 0; i < 500; ++i) s += "\xD0\x96";
    return s;
  }();
  EXPECT_TRUE(ErrorsOf(R"({"amount":1,"description":")" + five_hundred_cyrillic + "\"}").empty());
  EXPECT_EQ(ErrorsOf(R"({"amount":1,"description":")" + std::string(501, 'a') + "\"}").count("description"),
            1U);
}

TEST(JsonBody, DescriptionMustBeValidUtf8WithoutNul) {
  EXPECT_EQ(ErrorsOf("{\"amount\":1,\"description\":\"\xC3\x28\"}").count("description"), 1U);
  EXPECT_EQ(ErrorsOf(R"({"amount":1,"description":"a\u0000b"})").count("description"), 1U);
  EXPECT_EQ(ErrorsOf(R"({"amount":1,"description":5})").count("description"), 1U);
}

// Found by fuzz/json_body_fuzz: an unknown (or repeated) field whose name is not valid UTF-8 was echoed
// into the problem+json raw, which no strict JSON reader accepts.
TEST(JsonBody, AFieldNameThatIsNotUtf8IsReportedAgainstTheBody) {
  EXPECT_EQ(ErrorsOf("{\"amount\":1,\"description\":\"x\",\"\xff\xfe\":1}").at("body"),
            "has a field name that is not valid UTF-8");
  EXPECT_EQ(ErrorsOf("{\"amount\":1,\"description\":\"x\",\"\xc0\":1,\"\xc0\":2}").at("body"),
            "appears more than once");
}

TEST(JsonBody, UnknownFieldsAreReported) {
  auto errors = ErrorsOf(R"({"amount":1,"description":"x","status":"Finished"})");
  EXPECT_EQ(errors.at("status"), "unknown field");
}

// A body of many unknown fields, or of long names, gets an answer of bounded size.
TEST(JsonBody, AnAnswerNamesTenFieldsAtMostEachShortened) {
  std::string body = R"({"amount":1,"description":"x")";
  for (int i = 0; i < 500; ++i) body += ",\"field" + std::to_string(i) + "\":1";
  body += ",\"" + std::string(300, 'n') + "\":1,\"" + std::string(63, 'z') + "\u00e9\u00e9\":1}";
  std::string response_body;
  try {
    JsonBody reader(body, {"amount", "description"});
    reader.Finish();
  } catch (const ProblemError& problem) {
    EXPECT_EQ(problem.Errors().size(), 10U);
    response_body = problem.ToResponse().body;
  }
  EXPECT_LT(response_body.size(), 2'000U);
  EXPECT_NE(response_body.find("(and 492 more)"), std::string::npos) << response_body;
  EXPECT_EQ(ErrorsOf(R"({"amount":1,"description":"x",")" + std::string(300, 'n') + R"(":1})")
                .count(std::string(64, 'n') + "..."),
            1U);
  // Cut before a character, never inside it (ErrorsOf checks the answer is valid JSON).
  EXPECT_EQ(ErrorsOf(R"({"amount":1,"description":"x",")" + std::string(63, 'z') + "\u00e9\u00e9\":1}")
                .count(std::string(63, 'z') + "..."),
            1U);
}

Request WithTarget(const std::string& target) {
  Request request;
  request.target = target;
  if (auto parsed = ParseTarget(target)) {
    request.query = parsed->query;
    request.repeated_query = parsed->repeated;
  }
  return request;
}

TEST(QueryParameters, AreReadWhenGivenOnce) {
  EXPECT_EQ(QueryInt(WithTarget("/api/orders?limit=7"), "limit", 20, 1, 100), 7);
  EXPECT_EQ(QueryInt(WithTarget("/api/orders"), "limit", 20, 1, 100), 20);
  EXPECT_EQ(
      QueryCursor(WithTarget("/api/orders?limit=1&before=01a2463b-0520-7a1c-9f3e-4b5c6d7e8f90"), "before"),
      "01a2463b-0520-7a1c-9f3e-4b5c6d7e8f90");
}

// Which of two values counts would be a guess (the last, the first?): refused, as a repeated JSON key is.
TEST(QueryParameters, GivenTwiceAreRefused) {
  for (const auto* target : {"/api/orders?limit=1&limit=2", "/api/orders?limit=1&x=0&limit=1"}) {
    try {
      QueryInt(WithTarget(target), "limit", 20, 1, 100);
      ADD_FAILURE() << target << " was accepted";
    } catch (const ProblemError& problem) {
      EXPECT_EQ(problem.Status(), 422);
      EXPECT_NE(problem.ToResponse().body.find("at most once"), std::string::npos);
    }
  }
  const auto cursor = "01a2463b-0520-7a1c-9f3e-4b5c6d7e8f90";
  EXPECT_THROW(
      QueryCursor(WithTarget(std::string("/api/orders?before=") + cursor + "&before=" + cursor), "before"),
      ProblemError);
}

TEST(Paging, APageRequestDefaultsAndBoundsItsLimit) {
  const auto defaults = ReadPageRequest(WithTarget("/api/orders"));
  EXPECT_EQ(defaults.limit, 20);
  EXPECT_EQ(defaults.FetchLimit(), 21);
  EXPECT_FALSE(defaults.before);
  const auto given =
      ReadPageRequest(WithTarget("/api/orders?limit=100&before=01A2463B-0520-7A1C-9F3E-4B5C6D7E8F90"));
  EXPECT_EQ(given.limit, 100);
  EXPECT_EQ(given.before, "01a2463b-0520-7a1c-9f3e-4b5c6d7e8f90");
  for (const auto* target : {"/api/orders?limit=0", "/api/orders?limit=101", "/api/orders?before=3"}) {
    EXPECT_THROW(ReadPageRequest(WithTarget(target)), ProblemError) << target;
  }
}

TEST(Paging, APageIsCutToItsLimitAndNamesItsLastItemWhenMoreFollowed) {
  struct Item {
    std::string id;
  };
  const PageRequest page{.limit = 2, .before = std::nullopt};
  std::vector<Item> more{{"a"}, {"b"}, {"c"}};
  EXPECT_EQ(TrimToPage(more, page), "b");
  EXPECT_EQ(more.size(), 2U);
  std::vector<Item> last{{"a"}, {"b"}};
  EXPECT_EQ(TrimToPage(last, page), std::nullopt) << "exactly a page: nothing follows";
  EXPECT_EQ(last.size(), 2U);
  std::vector<Item> none;
  EXPECT_EQ(TrimToPage(none, page), std::nullopt);
}

TEST(Utf8, RejectsOverlongsSurrogatesAndTruncation) {
  using core::Utf8Length;
  EXPECT_EQ(Utf8Length("a\xE2\x82\xAC"), 2U);
  EXPECT_FALSE(Utf8Length("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(Utf8Length("\xED\xA0\x80"));      // UTF-16 surrogate
  EXPECT_FALSE(Utf8Length("\xE2\x82"));          // truncated
  EXPECT_FALSE(Utf8Length("\xF4\x90\x80\x80"));  // above U+10FFFF
}

}  // namespace
}  // namespace kpo::http
