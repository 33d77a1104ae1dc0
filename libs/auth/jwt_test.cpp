#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <jwt.h>
#include <sodium.h>

#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <vector>

namespace kpo::auth {
namespace {

using std::chrono::seconds;

constexpr const char* kUser1 = "5b2f6a64-3c1e-4d7a-9a1b-0c2d3e4f5a61";
constexpr const char* kUser2 = "0e8d7c6b-5a49-4382-a170-f1e2d3c4b5a6";
const std::string kSecret = "0123456789abcdef0123456789abcdef-test";
const core::TimePoint kNow = core::TimePoint(seconds(1'800'000'000)) + std::chrono::microseconds(250);

std::string Base64Url(std::string_view text) {
  std::string out(sodium_base64_ENCODED_LEN(text.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

std::string ValidPayload() {
  return Base64Url(
      R"({"iss":"kpo4","sub":"5b2f6a64-3c1e-4d7a-9a1b-0c2d3e4f5a61","iat":1800000000,"exp":1800003600,"guest":true})");
}

// A token signed by libjwt itself with `alg` and `secret`, holding what `fill` adds (claims,
// header fields): for algorithms, claim sets and headers TokenSigner never issues.
std::string SignedToken(jwt_alg_t alg, const std::string& secret, const std::function<void(jwt_t*)>& fill) {
  jwt_t* jwt = nullptr;
  EXPECT_EQ(jwt_new(&jwt), 0);
  fill(jwt);
  jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(secret.data()),
              static_cast<int>(secret.size()));
  char* text = jwt_encode_str(jwt);
  std::string token = text != nullptr ? text : "";
  std::free(text);
  jwt_free(jwt);
  return token;
}

std::string ForeignToken(jwt_alg_t alg, const std::string& secret, bool with_exp, bool with_sub) {
  return SignedToken(alg, secret, [&](jwt_t* jwt) {
    jwt_add_grant(jwt, "iss", "kpo4");
    if (with_sub) jwt_add_grant(jwt, "sub", kUser1);
    if (with_exp) jwt_add_grant_int(jwt, "exp", 1'800'003'600);
    jwt_add_grant_bool(jwt, "guest", 1);
  });
}

std::string Part(const std::string& token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  return token.substr(start, token.find('.', start) - start);
}

TEST(TokenSignerTest, RegisteredRoundTripKeepsClaims) {
  TokenSigner signer(kSecret, seconds(3600));
  Claims issued;
  const auto token = signer.Issue(kUser1, "alice", false, kNow, &issued);
  EXPECT_EQ(issued.expires_at, core::TimePoint(seconds(1'800'003'600)));
  const auto claims = signer.Verify(token, kNow);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->user_id, kUser1);
  EXPECT_EQ(claims->username, "alice");
  EXPECT_FALSE(claims->guest);
  EXPECT_EQ(claims->expires_at, issued.expires_at);
}

TEST(TokenSignerTest, GuestRoundTripHasNoUsername) {
  TokenSigner signer(kSecret, seconds(60));
  const auto claims = signer.Verify(signer.Issue(kUser2, "ignored", true, kNow), kNow);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->user_id, kUser2);
  EXPECT_TRUE(claims->username.empty());
  EXPECT_TRUE(claims->guest);
}

TEST(TokenSignerTest, ShortSecretIsRefused) {
  EXPECT_THROW(TokenSigner(std::string(31, 'x'), seconds(60)), std::invalid_argument);
  EXPECT_NO_THROW(TokenSigner(std::string(32, 'x'), seconds(60)));
  EXPECT_THROW(TokenSigner(kSecret, seconds(0)), std::invalid_argument);
}

TEST(TokenSignerTest, TamperedPayloadIsRejected) {
  TokenSigner signer(kSecret, seconds(3600));
  const auto token = signer.Issue(kUser1, "alice", false, kNow);
  const auto forged_payload = Base64Url(
      R"({"iss":"kpo4","sub":"admin","iat":1800000000,"exp":1800003600,"guest":false,"username":"x"})");
  const auto forged = Part(token, 0) + "." + forged_payload + "." + Part(token, 2);
  EXPECT_FALSE(signer.Verify(forged, kNow));
}

TEST(TokenSignerTest, TamperedSignatureIsRejected) {
  TokenSigner signer(kSecret, seconds(3600));
  auto token = signer.Issue(kUser1, "alice", false, kNow);
  token[token.size() - 5] = token[token.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(signer.Verify(token, kNow));
}

TEST(TokenSignerTest, OtherSecretIsRejected) {
  TokenSigner signer(kSecret, seconds(3600));
  TokenSigner other(kSecret + "-other", seconds(3600));
  EXPECT_FALSE(signer.Verify(other.Issue(kUser1, "alice", false, kNow), kNow));
}

TEST(TokenSignerTest, ExpiredIsRejected) {
  TokenSigner signer(kSecret, seconds(60));
  const auto token = signer.Issue(kUser1, "alice", false, kNow);
  EXPECT_TRUE(signer.Verify(token, kNow + seconds(59)));
  EXPECT_FALSE(signer.Verify(token, kNow + seconds(60)));
  EXPECT_FALSE(signer.Verify(token, kNow + seconds(3600)));
}

TEST(TokenSignerTest, AlgNoneIsRejected) {
  TokenSigner signer(kSecret, seconds(3600));
  const auto header = Base64Url(R"({"alg":"none","typ":"JWT"})");
  EXPECT_FALSE(signer.Verify(header + "." + ValidPayload() + ".", kNow));
  EXPECT_FALSE(signer.Verify(header + "." + ValidPayload(), kNow));
  // Even with a signature that is a correct HS256 MAC of these bytes, the declared alg rules it out.
  const auto real = signer.Issue("u1", "", true, kNow);
  const auto signed_none = header + "." + Part(real, 1);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(kSecret.data()), kSecret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(signed_none.data()),
                                signed_none.size());
  crypto_auth_hmacsha256_final(&state, mac);
  const auto mac_text = Base64Url(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac));
  EXPECT_FALSE(signer.Verify(signed_none + "." + mac_text, kNow));
}

TEST(TokenSignerTest, OtherHmacAlgorithmsWithTheSameSecretAreRejected) {
  TokenSigner signer(kSecret, seconds(3600));
  const auto hs256 = ForeignToken(JWT_ALG_HS256, kSecret, true, true);
  EXPECT_TRUE(signer.Verify(hs256, kNow)) << "control: the foreign token is otherwise acceptable";
  EXPECT_FALSE(signer.Verify(ForeignToken(JWT_ALG_HS384, kSecret, true, true), kNow));
  EXPECT_FALSE(signer.Verify(ForeignToken(JWT_ALG_HS512, kSecret, true, true), kNow));
}

TEST(TokenSignerTest, MissingExpOrSubIsRejected) {
  TokenSigner signer(kSecret, seconds(3600));
  EXPECT_FALSE(signer.Verify(ForeignToken(JWT_ALG_HS256, kSecret, false, true), kNow));
  EXPECT_FALSE(signer.Verify(ForeignToken(JWT_ALG_HS256, kSecret, true, false), kNow));
}

// The gateway copies "sub" into the X-User-Id header the services trust: anything but a UUID, even
// validly signed (a leaked secret, a token of another issuer's making), must not get that far.
TEST(TokenSignerTest, ASubjectThatIsNotAUuidIsRejected) {
  TokenSigner signer(kSecret, seconds(60));
  EXPECT_TRUE(signer.Verify(signer.Issue(kUser1, "", true, kNow), kNow)) << "control";
  for (const char* sub :
       {"u1", "5b2f6a64-3c1e-4d7a-9a1b-0c2d3e4f5a6", "5b2f6a64-3c1e-4d7a-9a1b-0c2d3e4f5a61\r\nX-Admin: 1",
        "5B2F6A64-3C1E-4D7A-9A1B-0C2D3E4F5A61 ", "../accounts"}) {
    EXPECT_FALSE(signer.Verify(signer.Issue(sub, "", true, kNow), kNow)) << sub;
  }
}

// Found by fuzz/auth_header_fuzz: seconds(exp) in microseconds overflowed (undefined behaviour) and
// the token passed with a garbage expiry.
TEST(TokenSignerTest, AnExpiryBeyondTheClocksRangeIsRejected) {
  TokenSigner signer(kSecret, seconds(3600));
  for (const long long exp : {1'750'003'600'003'600LL, 9'223'372'036'854'775'807LL, 253'402'300'800LL}) {
    const auto token = SignedToken(JWT_ALG_HS256, kSecret, [&](jwt_t* jwt) {
      jwt_add_grant(jwt, "iss", "kpo4");
      jwt_add_grant(jwt, "sub", kUser1);
      jwt_add_grant_int(jwt, "exp", exp);
      jwt_add_grant_bool(jwt, "guest", 1);
    });
    EXPECT_FALSE(signer.Verify(token, kNow)) << exp;
  }
}

// A signed token that is not valid yet, or that needs a header extension understood, is refused.
TEST(TokenSignerTest, ANotYetValidTokenOrOneWithCriticalExtensionsIsRejected) {
  TokenSigner signer(kSecret, seconds(3600));
  constexpr long long kNowSeconds = 1'800'000'000;  // kNow
  const auto token = [&](long long nbf, bool crit) {
    return SignedToken(JWT_ALG_HS256, kSecret, [&](jwt_t* jwt) {
      jwt_add_grant(jwt, "iss", "kpo4");
      jwt_add_grant(jwt, "sub", kUser1);
      jwt_add_grant_int(jwt, "exp", kNowSeconds + 600);
      jwt_add_grant_int(jwt, "nbf", nbf);
      jwt_add_grant_bool(jwt, "guest", 1);
      if (crit) jwt_add_headers_json(jwt, R"({"crit":["x-unknown"],"x-unknown":1})");
    });
  };
  EXPECT_TRUE(signer.Verify(token(kNowSeconds - 1, false), kNow)) << "control: valid since a second ago";
  EXPECT_FALSE(signer.Verify(token(kNowSeconds + 1'000'000, false), kNow));
  EXPECT_FALSE(signer.Verify(token(kNowSeconds - 1, true), kNow));
}

TEST(TokenSignerTest, GarbageIsRejected) {
  TokenSigner signer(kSecret, seconds(3600));
  const auto token = signer.Issue(kUser1, "alice", false, kNow);
  const std::vector<std::string> garbage_tokens = {"",
                                                   ".",
                                                   "..",
                                                   "a.b.c",
                                                   "not a token",
                                                   "Bearer " + token,
                                                   token + ".x",
                                                   " " + token,
                                                   token + "=",
                                                   Part(token, 0) + ".." + Part(token, 2),
                                                   std::string(10000, 'a')};
  for (const auto& garbage : garbage_tokens) {
    EXPECT_FALSE(signer.Verify(garbage, kNow)) << garbage;
  }
}

TEST(CachingVerifierTest, CachesValidTokensButStillHonoursExpiry) {
  const TokenSigner signer(std::string(32, 's'), std::chrono::seconds(60));
  const CachingVerifier verifier(signer);
  const auto now = core::Now();
  const auto token = signer.Issue("0a1b2c3d-0000-4000-8000-000000000001", "", true, now);
  ASSERT_TRUE(verifier.Verify(token, now));
  ASSERT_TRUE(verifier.Verify(token, now + std::chrono::seconds(30)));  // from the cache
  EXPECT_FALSE(verifier.Verify(token, now + std::chrono::seconds(61)));
  EXPECT_FALSE(verifier.Verify(token + "x", now));
}

}  // namespace
}  // namespace kpo::auth
