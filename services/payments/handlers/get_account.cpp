#include "http/problem.hpp"
#include "http/router.hpp"
#include "payments/domain/account_json.hpp"
#include "payments/handlers/handlers.hpp"
#include "payments/storage/account_repository.hpp"

namespace kpo::payments {

http::Response GetAccount(db::Pool& pool, const http::Request& request) {
  const auto user_id = http::RequireUserId(request);
  auto lease = pool.Acquire();
  auto account = AccountRepository::Find(*lease, user_id);
  if (!account) throw http::ProblemError(404, "No account: create one with POST /api/accounts first");
  return http::JsonResponse(200, AccountToJson(*account));
}

}  // namespace kpo::payments
