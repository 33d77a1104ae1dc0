#include "payments/app/deposit.hpp"

#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "idempotency/idempotency.hpp"
#include "payments/domain/account_json.hpp"
#include "payments/handlers/handlers.hpp"
#include "payments/storage/account_repository.hpp"

namespace kpo::payments {

http::Response Deposit(db::Pool& pool, const http::Request& request) {
  const auto user_id = http::RequireUserId(request);
  http::JsonBody body(request.body, {"amount"});
  const auto amount = body.Int("amount", core::kMinAmount, core::kMaxAmount);
  body.Finish();
  // The ledger entry a deposit writes is how a lost COMMIT is settled; a refusal writes none, and its
  // answer stands either way.
  std::string entry_id;
  const auto applied = [&entry_id](db::Connection& connection) {
    return entry_id.empty() || AccountRepository::HasEntry(connection, entry_id);
  };
  const auto effect = [&](db::Transaction& tx) {
    const auto outcome = DepositToAccount(tx, user_id, *amount);
    entry_id = outcome.entry_id;
    // Refusals are answers like any other (not exceptions), so an Idempotency-Key replays them.
    switch (outcome.status) {
      case DepositOutcome::Status::kNoAccount:
        return http::ProblemError(404, "No account: create one with POST /api/accounts first").ToResponse();
      case DepositOutcome::Status::kOverMaximum:
        return http::ProblemError(422, "The deposit would take the balance over its maximum",
                                  {{"amount", "would take the balance over its maximum"}})
            .ToResponse();
      case DepositOutcome::Status::kDeposited:
        break;
    }
    return http::JsonResponse(200, DepositResultToJson(outcome.balance, outcome.entry_id));
  };
  return idempotency::Run(pool, request, user_id, effect, applied);
}

}  // namespace kpo::payments
