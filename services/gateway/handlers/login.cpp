#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

#include "auth/jwt.hpp"
#include "auth/password.hpp"
#include "gateway/domain/credentials.hpp"
#include "gateway/handlers/handlers.hpp"
#include "gateway/handlers/session.hpp"
#include "gateway/storage/user_repository.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"

namespace kpo::gateway {

namespace {
// One message for both causes, so that the answer does not tell which usernames exist.
constexpr const char* kBadCredentials = "The username or password is wrong";
}  // namespace

http::Response Login(db::Pool& pool, const auth::TokenSigner& signer, LoginThrottle& throttle,
                     const http::Request& request, std::string_view client) {
  http::JsonBody body(request.body, {"username", "password"});
  // No length or character rules: a username or password that breaks them simply matches nobody
  // (and rules may change after an account was made).
  constexpr auto kAnyLength = std::numeric_limits<std::size_t>::max();
  const auto username = body.String("username", 0, kAnyLength);
  const auto password = body.String("password", 0, kAnyLength);
  body.Finish();

  std::optional<StoredCredentials> stored;
  const auto name = NormalizeUsername(*username);
  const bool possible_name = !UsernameError(*username);
  // A name no account can have is counted against the address alone: kept as a key, a body-sized name
  // per attempt would be memory an attacker fills at will.
  const std::string_view throttled_name = possible_name ? std::string_view(name) : std::string_view();
  if (const auto wait = throttle.Admit(throttled_name, client, LoginThrottle::Clock::now());
      wait.count() > 0) {
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(wait).count();
    throw http::ProblemError(429, "Too many failed logins for this account or from this address; retry later")
        .WithRetryAfter(static_cast<int>(std::max<std::int64_t>(1, seconds)))
        .WithReason("login_throttle");
  }
  if (possible_name) {
    // The connection goes back to the pool before the slow verification below.
    auto lease = pool.Acquire();
    stored = UserRepository::FindByUsername(*lease, name);
  }
  // An unknown user is checked against a dummy hash so that both failures cost the same time.
  const bool matches = auth::VerifyPassword(stored ? stored->password_hash : auth::DummyHash(), *password);
  if (!stored || !matches) {
    auto refused = http::ProblemResponse(401, kBadCredentials);
    refused.SetHeader("WWW-Authenticate", std::string(auth::kBearerChallenge));
    return refused;
  }
  throttle.Succeeded(name, client);
  return SessionResponse(200, signer, stored->user_id, name, false);
}

}  // namespace kpo::gateway
