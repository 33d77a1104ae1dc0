// Bad HTTP input gets the contract's 4xx statuses with problem+json bodies, and the services keep
// serving afterwards.
#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "http/client.hpp"
#include "support/fixture.hpp"
#include "support/stack.hpp"

namespace kpo::testing {
namespace {

class HttpInput : public SharedSystemTest<Stack> {
 protected:
  void TearDown() override {
    // Whatever the test sent, both services still answer.
    EXPECT_EQ(system().api.Call("GET", "/api/orders", user_).status, 200);
    EXPECT_EQ(system().api.Call("GET", "/api/accounts/me", user_).status, 404);
  }
  ApiResponse PostOrder(const std::string& body, http::Headers headers = {}) {
    return system().api.Call("POST", "/api/orders", user_, body, std::move(headers));
  }
  // Asserts a problem+json answer with `status`, and for 422 that `field` is named in errors.
  static void ExpectProblem(const ApiResponse& response, int status, const std::string& field = {}) {
    EXPECT_EQ(response.status, status) << response.body;
    EXPECT_EQ(http::MediaType(response.Header("Content-Type").value_or("")), "application/problem+json");
    ASSERT_TRUE(response.json.is_object()) << response.body;
    const auto& body = response.Object();
    for (const auto* key : {"type", "title", "status", "detail"}) EXPECT_TRUE(body.contains(key)) << key;
    EXPECT_EQ(body.at("status").as_int64(), status);
    if (!field.empty()) {
      ASSERT_TRUE(body.contains("errors")) << response.body;
      EXPECT_TRUE(body.at("errors").as_object().contains(field)) << response.body;
    }
  }

  std::string user_ = core::NewUuid();
};

TEST_F(HttpInput, MalformedJsonIs422) {
  ExpectProblem(PostOrder(R"({"amount": 1, "description": )"), 422, "body");
  ExpectProblem(PostOrder("[1,2]"), 422, "body");
}

TEST_F(HttpInput, AmountMustBeAnIntegerWithinTheLimits) {
  for (const auto* amount : {"0", "-1", "1000000000001", "1.5", "\"100\"", "null", "true", "1e3"}) {
    ExpectProblem(PostOrder(std::string(R"({"amount":)") + amount + R"(,"description":"x"})"), 422, "amount");
  }
  ExpectProblem(PostOrder(R"({"description":"x"})"), 422, "amount");
  EXPECT_EQ(PostOrder(R"({"amount":1000000000000,"description":"max"})").status, 202);
}

TEST_F(HttpInput, DescriptionMustBe1To500CharactersOfValidUtf8) {
  ExpectProblem(PostOrder(R"({"amount":1,"description":""})"), 422, "description");
  ExpectProblem(PostOrder(R"({"amount":1,"description":")" + std::string(501, 'a') + "\"}"), 422,
                "description");
  ExpectProblem(PostOrder("{\"amount\":1,\"description\":\"bad \xFF\xFE utf8\"}"), 422, "description");
  ExpectProblem(PostOrder(R"({"amount":1,"description":12})"), 422, "description");
  ExpectProblem(PostOrder(R"({"amount":1})"), 422, "description");
  std::string emoji;
  for (int i = 0; i < 500; ++i) emoji += "\xF0\x9F\x8D\xB5";  // 500 code points, 2000 bytes
  auto accepted = PostOrder(R"({"amount":1,"description":")" + emoji + "\"}");
  ASSERT_EQ(accepted.status, 202);
  EXPECT_EQ(accepted.Object().at("description").as_string(), emoji);  // verbatim
}

TEST_F(HttpInput, UnknownFieldsAre422) {
  ExpectProblem(PostOrder(R"({"amount":1,"description":"x","status":"Finished"})"), 422, "status");
}

TEST_F(HttpInput, MissingOrInvalidUserIs401) {
  ExpectProblem(system().api.Call("POST", "/api/orders", std::nullopt, R"({"amount":1,"description":"x"})"),
                401);
  ExpectProblem(system().api.Call("GET", "/api/orders", std::string("not-a-uuid")), 401);
  ExpectProblem(system().api.Call("GET", "/api/accounts/me", std::nullopt), 401);
}

TEST_F(HttpInput, UnknownOrderIs404) {
  ExpectProblem(system().api.Call("GET", "/api/orders/" + core::NewUuid(), user_), 404);
  ExpectProblem(system().api.Call("GET", "/api/orders/not-a-uuid", user_), 404);
}

TEST_F(HttpInput, BodyOver64KiBIs413) {
  const std::string big = R"({"amount":1,"description":")" + std::string(70UL * 1024, 'a') + "\"}";
  ExpectProblem(PostOrder(big), 413);
}

TEST_F(HttpInput, WrongContentTypeIs415) {
  ExpectProblem(PostOrder(R"({"amount":1,"description":"x"})", {{"Content-Type", "text/plain"}}), 415);
}

TEST_F(HttpInput, BadPagingParametersAre422) {
  for (const auto* query : {"limit=0", "limit=101", "limit=abc", "before=nope", "limit=1&limit=2"}) {
    ExpectProblem(system().api.Call("GET", std::string("/api/orders?") + query, user_), 422);
    ExpectProblem(system().api.Call("GET", std::string("/api/accounts/me/entries?") + query, user_), 422);
  }
}

TEST_F(HttpInput, DepositValidation) {
  ExpectProblem(system().api.Call("POST", "/api/accounts/me/deposits", user_, R"({"amount":100})"), 404);
  const auto funded = core::NewUuid();
  ASSERT_EQ(system().api.Call("POST", "/api/accounts", funded).status, 201);
  for (const auto* body :
       {R"({"amount":0})", R"({"amount":-3})", R"({"amount":2.5})", R"({})", R"({"amount":1,"x":1})"}) {
    ExpectProblem(system().api.Call("POST", "/api/accounts/me/deposits", funded, body), 422, "");
  }
  ExpectProblem(system().api.Call("POST", "/api/accounts", funded, R"({"extra":1})"), 422, "extra");
}

TEST_F(HttpInput, IdempotencyKeyTooLongIs422) {
  ExpectProblem(PostOrder(R"({"amount":1,"description":"x"})", {{"Idempotency-Key", std::string(256, 'k')}}),
                422, "Idempotency-Key");
}

TEST_F(HttpInput, UnknownRouteIs404AndWrongMethodIs405) {
  ExpectProblem(system().api.Call("GET", "/api/nothing-here", user_), 404);
  ExpectProblem(system().api.Call("DELETE", "/api/orders", user_), 405);
}

TEST_F(HttpInput, RequestIdIsEchoedOrCreated) {
  auto echoed = system().api.Call("GET", "/api/orders", user_, {}, {{"X-Request-Id", "abc-123"}});
  EXPECT_EQ(echoed.Header("X-Request-Id"), "abc-123");
  auto created = system().api.Call("GET", "/api/orders", user_);
  EXPECT_FALSE(created.Header("X-Request-Id").value_or("").empty());
}

}  // namespace
}  // namespace kpo::testing
