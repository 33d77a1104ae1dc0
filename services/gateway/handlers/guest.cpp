#include "gateway/handlers/handlers.hpp"
#include "gateway/handlers/session.hpp"
#include "gateway/storage/user_repository.hpp"
#include "http/json_body.hpp"

namespace kpo::gateway {

http::Response Guest(db::Pool& pool, const auth::TokenSigner& signer, const http::Request& request) {
  // No fields are defined; an empty body or {} is accepted, anything else is a mistake.
  http::JsonBody(request.body, {}, true).Finish();
  // Idempotency-Key is ignored here: keys are scoped to the authenticated user, and this caller
  // has none yet. Scoping by IP would let clients behind one NAT replay each other's token, and a
  // replay would have to keep the issued token at rest. A retried request just makes a new guest.
  // A COMMIT whose answer was lost is settled by the new user's row: its token, or a 503 that it
  // was not made, never "may have been made".
  const auto user_id = db::InTransactionSettled(
      pool, [](db::Transaction& tx) { return UserRepository::CreateGuest(tx); },
      [](db::Connection& connection, const std::string& id) {
        return UserRepository::Exists(connection, id);
      });
  return SessionResponse(201, signer, user_id, {}, true);
}

}  // namespace kpo::gateway
