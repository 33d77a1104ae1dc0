#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "idempotency/idempotency.hpp"
#include "payments/domain/account_json.hpp"
#include "payments/handlers/handlers.hpp"
#include "payments/storage/account_repository.hpp"

namespace kpo::payments {

http::Response CreateAccount(db::Pool& pool, const http::Request& request) {
  const auto user_id = http::RequireUserId(request);
  // No fields are defined; an empty body or {} is accepted, anything else is a mistake.
  http::JsonBody(request.body, {}, true).Finish();
  // A COMMIT whose answer was lost is settled by the account's row (a refusal wrote none, and its 409
  // stands): 201, or a 503 that nothing was made, never "may have been made", after which a retry would
  // be told the account exists.
  bool created = false;
  const auto applied = [&](db::Connection& connection) {
    return !created || AccountRepository::Find(connection, user_id).has_value();
  };
  const auto effect = [&](db::Transaction& tx) {
    auto account = AccountRepository::Create(tx, user_id);
    created = account.has_value();
    // An answer, not an exception: an Idempotency-Key replays it.
    if (!account) return http::ProblemError(409, "This user already has an account").ToResponse();
    auto response = http::JsonResponse(201, AccountToJson(*account));
    response.SetHeader("Location", "/api/accounts/me");
    return response;
  };
  return idempotency::Run(pool, request, user_id, effect, applied);
}

}  // namespace kpo::payments
