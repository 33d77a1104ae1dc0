// Only the configured origins may read the gateway's answers from a browser.
#include "gateway/middleware/cors.hpp"

#include <gtest/gtest.h>

namespace kpo::gateway {
namespace {

http::Request FromOrigin(std::string origin) {
  http::Request request;
  request.headers.emplace_back("Origin", std::move(origin));
  return request;
}

TEST(Cors, AnAllowedOriginMayReadTheAnswerAndItsHeaders) {
  const CorsPolicy cors({"http://localhost:3000"});
  http::Response response;
  cors.Apply(response, FromOrigin("http://localhost:3000"));
  EXPECT_EQ(http::FindHeader(response.headers, "Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_EQ(http::FindHeader(response.headers, "Vary"), "Origin");
  EXPECT_EQ(http::FindHeader(response.headers, "Access-Control-Expose-Headers"),
            "Location, X-Request-Id, Idempotent-Replayed, Retry-After, traceparent");
}

// Only Vary: the answer differs by Origin, so a shared cache must not hand it to an allowed one.
TEST(Cors, AnotherOriginOrNoneGetsNoCorsHeadersButVary) {
  const CorsPolicy cors({"http://localhost:3000"});
  const http::Headers vary_only{{"Vary", "Origin"}};
  http::Response other;
  cors.Apply(other, FromOrigin("http://evil.example"));
  EXPECT_EQ(other.headers, vary_only);
  http::Response none;
  cors.Apply(none, http::Request{});
  EXPECT_EQ(none.headers, vary_only);
}

TEST(Cors, WithoutAllowedOriginsNothingIsAdded) {
  const CorsPolicy cors(std::vector<std::string>{});
  http::Response response;
  cors.Apply(response, FromOrigin("http://localhost:3000"));
  EXPECT_TRUE(response.headers.empty());
}

TEST(Cors, AStarAllowsAnyOriginByName) {
  const CorsPolicy cors({"*"});
  http::Response response;
  cors.Apply(response, FromOrigin("http://any.example"));
  EXPECT_EQ(http::FindHeader(response.headers, "Access-Control-Allow-Origin"), "http://any.example");
}

TEST(Cors, APreflightNamesTheMethodsAndHeadersTheApiAccepts) {
  const CorsPolicy cors({"http://localhost:3000"});
  const auto response = cors.Preflight(FromOrigin("http://localhost:3000"));
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(http::FindHeader(response.headers, "Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_EQ(http::FindHeader(response.headers, "Access-Control-Allow-Methods"), "GET, POST, OPTIONS");
  EXPECT_EQ(http::FindHeader(response.headers, "Access-Control-Allow-Headers"),
            "Authorization, Content-Type, Idempotency-Key, X-Request-Id, Last-Event-ID, traceparent");
  EXPECT_EQ(http::FindHeader(response.headers, "Access-Control-Max-Age"), "600");
}

TEST(Cors, APreflightFromAnotherOriginIsAnsweredWithoutAllowingIt) {
  const CorsPolicy cors({"http://localhost:3000"});
  const auto response = cors.Preflight(FromOrigin("http://evil.example"));
  EXPECT_EQ(response.status, 204);
  EXPECT_FALSE(http::FindHeader(response.headers, "Access-Control-Allow-Origin").has_value());
}

}  // namespace
}  // namespace kpo::gateway
