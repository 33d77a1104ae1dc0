#include "auth/jwt.hpp"

#include <jwt.h>
#include <sodium.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "core/ids.hpp"

namespace kpo::auth {
namespace {

// Far above any token we issue; bounds the work spent on hostile input.
constexpr std::size_t kMaxTokenLength = 4096;

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
struct CharDeleter {
  void operator()(char* text) const { std::free(text); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;
using CharPtr = std::unique_ptr<char, CharDeleter>;

void Check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string("libjwt: ") + what + " failed");
}

bool IsBase64Url(std::string_view part) {
  if (part.empty()) return false;
  for (char c : part) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// libjwt 1.10 compares HMACs with strcmp on their base64 text, which leaks through timing how much
// of a forged signature is right; this check runs first and compares in constant time.
bool SignatureMatches(std::string_view secret, std::string_view signed_part, std::string_view signature) {
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> given{};
  std::size_t given_length = 0;
  if (sodium_base642bin(given.data(), given.size(), signature.data(), signature.size(), nullptr,
                        &given_length, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      given_length != given.size()) {
    return false;
  }
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> expected{};
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(signed_part.data()),
                                signed_part.size());
  crypto_auth_hmacsha256_final(&state, expected.data());
  sodium_memzero(&state, sizeof state);
  return crypto_verify_32(given.data(), expected.data()) == 0;
}

std::int64_t Seconds(core::TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}

}  // namespace

TokenSigner::TokenSigner(std::string secret, std::chrono::seconds ttl)
    : secret_(std::move(secret)), ttl_(ttl) {
  if (secret_.size() < kMinSecretBytes) {
    throw std::invalid_argument("the JWT secret must be at least " + std::to_string(kMinSecretBytes) +
                                " bytes");
  }
  if (ttl_ <= std::chrono::seconds::zero()) throw std::invalid_argument("the token ttl must be positive");
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string TokenSigner::Issue(const std::string& user_id, const std::string& username, bool guest,
                               core::TimePoint now, Claims* issued) const {
  const auto issued_at = Seconds(now);
  const auto expires_at = issued_at + ttl_.count();
  jwt_t* raw = nullptr;
  Check(jwt_new(&raw), "jwt_new");
  JwtPtr jwt(raw);
  Check(jwt_add_grant(jwt.get(), "iss", std::string(kIssuer).c_str()), "add iss");
  Check(jwt_add_grant(jwt.get(), "sub", user_id.c_str()), "add sub");
  Check(jwt_add_grant_int(jwt.get(), "iat", issued_at), "add iat");
  Check(jwt_add_grant_int(jwt.get(), "exp", expires_at), "add exp");
  Check(jwt_add_grant_bool(jwt.get(), "guest", guest ? 1 : 0), "add guest");
  if (!guest) Check(jwt_add_grant(jwt.get(), "username", username.c_str()), "add username");
  Check(jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret_.data()),
                    static_cast<int>(secret_.size())),
        "set alg");
  CharPtr token(jwt_encode_str(jwt.get()));
  if (!token) throw std::runtime_error("libjwt: encode failed");
  if (issued != nullptr) {
    *issued = Claims{user_id, guest ? std::string() : username, guest,
                     core::TimePoint(std::chrono::seconds(expires_at))};
  }
  return token.get();
}

namespace {

// The claims of a token whose signature and header passed, if they are the claims of a token
// issued here and valid at `now`.
std::optional<Claims> ClaimsOf(const boost::json::object& claims, core::TimePoint now) {
  const auto* iss = claims.if_contains("iss");
  const auto* sub = claims.if_contains("sub");
  const auto* exp = claims.if_contains("exp");
  const auto* guest = claims.if_contains("guest");
  const auto* username = claims.if_contains("username");
  if (iss == nullptr || !iss->is_string() || iss->get_string() != kIssuer) return std::nullopt;
  // "sub" becomes the X-User-Id the services trust: only a user id as issued (a lower-case UUID) passes.
  if (sub == nullptr || !sub->is_string() || core::NormalizeUuid(sub->get_string()) != sub->get_string()) {
    return std::nullopt;
  }
  // An "exp" past 9999-12-31 would overflow the microsecond clock of Claims::expires_at (found by
  // fuzz/auth_header_fuzz); no token we issue gets anywhere near it.
  constexpr std::int64_t kLatestExpiry = 253'402'300'799;
  if (exp == nullptr || !exp->is_int64() || exp->get_int64() > kLatestExpiry) return std::nullopt;
  if (guest == nullptr || !guest->is_bool()) return std::nullopt;
  if (exp->get_int64() <= Seconds(now)) return std::nullopt;
  // "nbf": not before (RFC 7519 §4.1.5). Tokens issued here carry none; one that does is honoured.
  if (const auto* nbf = claims.if_contains("nbf");
      nbf != nullptr && (!nbf->is_int64() || nbf->get_int64() > Seconds(now))) {
    return std::nullopt;
  }
  Claims result{std::string(sub->get_string()),
                {},
                guest->get_bool(),
                core::TimePoint(std::chrono::seconds(exp->get_int64()))};
  if (!result.guest) {
    if (username == nullptr || !username->is_string() || username->get_string().empty()) return std::nullopt;
    result.username = std::string(username->get_string());
  }
  return result;
}

}  // namespace

std::optional<Claims> TokenSigner::Verify(std::string_view token, core::TimePoint now) const {
  if (token.empty() || token.size() > kMaxTokenLength) return std::nullopt;
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return std::nullopt;
  const auto header = token.substr(0, first);
  const auto payload = token.substr(first + 1, second - first - 1);
  const auto signature = token.substr(second + 1);
  // An empty signature is how alg "none" tokens look; every part must be present.
  if (!IsBase64Url(header) || !IsBase64Url(payload) || !IsBase64Url(signature)) return std::nullopt;
  if (!SignatureMatches(secret_, token.substr(0, second), signature)) return std::nullopt;

  // Always with the key: without one, libjwt 1.10 accepts an HS256 token without checking it.
  jwt_t* raw = nullptr;
  const std::string text(token);
  const int rc = jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                            static_cast<int>(secret_.size()));
  JwtPtr jwt(raw);
  if (rc != 0 || !jwt || jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return std::nullopt;

  // The claims are read as JSON rather than through jwt_get_grant_int/_bool, which answer 0 for
  // a claim of the wrong type instead of failing.
  CharPtr grants(jwt_get_grants_json(jwt.get(), nullptr));
  if (!grants) return std::nullopt;
  boost::system::error_code ec;
  const auto value = boost::json::parse(grants.get(), ec);
  if (ec || !value.is_object()) return std::nullopt;
  // "crit" names header extensions the token needs understood (RFC 7515 §4.1.11); none is here.
  if (CharPtr crit(jwt_get_headers_json(jwt.get(), "crit")); crit != nullptr) return std::nullopt;
  return ClaimsOf(value.get_object(), now);
}

std::optional<Claims> CachingVerifier::Verify(std::string_view token, core::TimePoint now) const {
  {
    std::lock_guard lock(mutex_);
    if (auto it = verified_.find(token); it != verified_.end()) {
      if (it->second.expires_at > now) return it->second;
      verified_.erase(it);
      return std::nullopt;
    }
  }
  auto claims = signer_.Verify(token, now);
  if (claims) {
    std::lock_guard lock(mutex_);
    if (verified_.size() >= capacity_) verified_.clear();
    verified_.emplace(std::string(token), *claims);
  }
  return claims;
}

}  // namespace kpo::auth
