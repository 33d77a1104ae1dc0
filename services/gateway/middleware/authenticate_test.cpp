// The bearer token comes from Authorization, or from ?access_token= only where a route allows it.
#include "gateway/middleware/authenticate.hpp"

#include <gtest/gtest.h>

namespace kpo::gateway {
namespace {

http::Request WithAuthorization(std::string value) {
  http::Request request;
  request.headers.emplace_back("Authorization", std::move(value));
  return request;
}

http::Request WithQueryToken(std::string token) {
  http::Request request;
  request.query["access_token"] = std::move(token);
  return request;
}

TEST(Authenticate, TheBearerSchemeIsCaseInsensitiveAndPaddingIsTrimmed) {
  EXPECT_EQ(BearerToken(WithAuthorization("Bearer abc"), false), "abc");
  EXPECT_EQ(BearerToken(WithAuthorization("bEARER   abc  "), false), "abc");
}

TEST(Authenticate, AnythingButANonEmptyBearerTokenIsNoToken) {
  EXPECT_FALSE(BearerToken(WithAuthorization("Basic abc"), false));
  EXPECT_FALSE(BearerToken(WithAuthorization("Bearer "), false));
  EXPECT_FALSE(BearerToken(WithAuthorization("Bearer    "), false));
  EXPECT_FALSE(BearerToken(WithAuthorization("Bearerabc"), false));
  EXPECT_FALSE(BearerToken(http::Request{}, false));
}

TEST(Authenticate, TheQueryTokenCountsOnlyWhereAllowedAndWithoutAHeader) {
  EXPECT_FALSE(BearerToken(WithQueryToken("abc"), false));
  EXPECT_EQ(BearerToken(WithQueryToken("abc"), true), "abc");
  auto both = WithAuthorization("Basic x");
  both.query["access_token"] = "abc";
  EXPECT_FALSE(BearerToken(both, true)) << "a header, even a bad one, is the credential";
}

TEST(Authenticate, OnlyAValidTokenAuthenticates) {
  const auth::TokenSigner signer(std::string(32, 's'), std::chrono::hours(1));
  const auth::CachingVerifier verifier(signer);
  const auto token = signer.Issue("7d0c4a0e-5b8f-4f6e-9f57-3c1b2a9d8e41", "", true, core::Now());
  const auto claims = Authenticate(verifier, WithAuthorization("Bearer " + token), false);
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->user_id, "7d0c4a0e-5b8f-4f6e-9f57-3c1b2a9d8e41");
  EXPECT_TRUE(Authenticate(verifier, WithQueryToken(token), true).has_value());
  EXPECT_FALSE(Authenticate(verifier, WithQueryToken(token), false).has_value());
  EXPECT_FALSE(Authenticate(verifier, WithAuthorization("Bearer " + token + "x"), false).has_value());
}

TEST(Authenticate, UnauthorizedNamesTheScheme) {
  const auto response = Unauthorized();
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(http::FindHeader(response.headers, "WWW-Authenticate"), R"(Bearer realm="kpo")");
}

}  // namespace
}  // namespace kpo::gateway
