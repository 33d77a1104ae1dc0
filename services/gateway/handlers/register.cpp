#include <limits>

#include "auth/password.hpp"
#include "gateway/domain/credentials.hpp"
#include "gateway/handlers/handlers.hpp"
#include "gateway/handlers/session.hpp"
#include "gateway/storage/user_repository.hpp"
#include "http/json_body.hpp"

namespace kpo::gateway {

http::Response Register(db::Pool& pool, const auth::TokenSigner& signer, LoginThrottle& throttle,
                        const http::Request& request, std::string_view client) {
  http::JsonBody body(request.body, {"username", "password"});
  // Lengths are the domain's rules (below); JsonBody only checks type and UTF-8 here.
  constexpr auto kAnyLength = std::numeric_limits<std::size_t>::max();
  const auto username = body.String("username", 0, kAnyLength);
  const auto password = body.String("password", 0, kAnyLength);
  if (username) {
    if (auto error = UsernameError(*username)) body.AddError("username", std::move(*error));
  }
  if (password) {
    if (auto error = PasswordError(*password)) body.AddError("password", std::move(*error));
  }
  body.Finish();

  const auto name = NormalizeUsername(*username);
  // Hashing takes tens of milliseconds on purpose; done before the transaction so that no pooled
  // connection is held meanwhile.
  const auto hash = auth::HashPassword(*password);
  // Idempotency-Key is ignored here: keys are scoped to the authenticated user, and this caller
  // has none yet. A replay would also have to keep the issued token at rest. A retry after a
  // lost response answers 409 and the client logs in instead.
  // A COMMIT whose answer was lost is settled by the new user's row (a taken name wrote none, and its
  // 409 stands): the token, or a 503 that nothing was made, never "may have been made", after which a
  // retry would be told its own name is taken.
  const auto user_id = db::InTransactionSettled(
      pool, [&](db::Transaction& tx) { return UserRepository::Register(tx, name, hash); },
      [](db::Connection& connection, const std::optional<std::string>& id) {
        return !id || UserRepository::Exists(connection, *id);
      });
  if (!user_id) {
    throw http::ProblemError(409, "This username is already taken", {{"username", "is already taken"}});
  }
  // The new account has signed in from this address: others' wrong guesses at its password do not
  // hold it back here (LoginThrottle), as they would not after a first login.
  throttle.Registered(name, client);
  return SessionResponse(201, signer, *user_id, name, false);
}

}  // namespace kpo::gateway
