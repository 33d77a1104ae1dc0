#pragma once
// Access tokens: HS256-signed JWTs that carry who the caller is and until when.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"

namespace kpo::auth {

// The WWW-Authenticate challenge every 401 of the API carries (RFC 9110, 15.5.2): its tokens are
// bearer tokens signed here.
inline constexpr std::string_view kBearerChallenge = R"(Bearer realm="kpo")";

// What a valid token says about its bearer.
struct Claims {
  std::string user_id;   // "sub"
  std::string username;  // empty for guests
  bool guest = false;
  core::TimePoint expires_at;  // "exp", whole seconds
};

inline constexpr std::size_t kMinSecretBytes = 32;
inline constexpr std::string_view kIssuer = "kpo4";

// Issues and verifies tokens with one shared secret. Every method is const and thread safe.
//
// A token's payload is {"iss":"kpo4","sub":user id,"iat","exp","guest"} plus "username" for
// registered users.
class TokenSigner {
 public:
  // Throws std::invalid_argument when `secret` is shorter than kMinSecretBytes (a short HMAC key
  // can be brute-forced offline from any issued token) or `ttl` is not positive.
  TokenSigner(std::string secret, std::chrono::seconds ttl);

  // A signed token valid from `now` (truncated to seconds) for the configured ttl. When `issued`
  // is set it receives the claims, e.g. the expiry to report to the client. Throws
  // std::runtime_error when libjwt fails (out of memory).
  std::string Issue(const std::string& user_id, const std::string& username, bool guest, core::TimePoint now,
                    Claims* issued = nullptr) const;

  // The claims of a token this signer issued that has not expired at `now`. nullopt for anything
  // else: malformed, a bad signature or another secret, any alg but HS256 (alg "none" included),
  // a missing/expired "exp", a missing "sub", the wrong issuer or wrongly typed claims.
  std::optional<Claims> Verify(std::string_view token, core::TimePoint now) const;

 private:
  std::string secret_;
  std::chrono::seconds ttl_;
};

// Remembers the claims of tokens that verified, so that a client presenting the same token on
// every request pays for the signature check once. A cached token is still refused after its
// expiry. Bounded: the cache is emptied when it reaches `capacity`. Thread safe.
class CachingVerifier {
 public:
  explicit CachingVerifier(const TokenSigner& signer, std::size_t capacity = 100'000)
      : signer_(signer), capacity_(capacity) {}
  std::optional<Claims> Verify(std::string_view token, core::TimePoint now) const;

 private:
  const TokenSigner& signer_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  // Looked up by the token's view: no copy of the token per request.
  struct TokenHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view token) const { return std::hash<std::string_view>{}(token); }
  };
  mutable std::unordered_map<std::string, Claims, TokenHash, std::equal_to<>> verified_;
};

}  // namespace kpo::auth
