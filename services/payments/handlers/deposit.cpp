#include "domain/account_json.hpp"
#include "handlers/handlers.hpp"
#include "http/json_body.hpp"
#include "http/router.hpp"
#include "idempotency/idempotency.hpp"
#include "storage/account_repository.hpp"

namespace kpo::payments {

http::Response Deposit(db::Pool& pool, const http::Request& request) {
  const auto user_id = http::RequireUserId(request);
  http::JsonBody body(request.body, {"amount"});
  const auto amount = body.Int("amount", core::kMinAmount, core::kMaxAmount);
  body.Finish();
  return idempotency::Run(pool, request, user_id, [&](db::Transaction& tx) {
    const auto result = AccountRepository::Deposit(tx, user_id, *amount);
    return http::JsonResponse(200, DepositResultToJson(result.balance, result.entry_id));
  });
}

}  // namespace kpo::payments
