#include "core/ids.hpp"
#include "http/json_body.hpp"
#include "http/router.hpp"
#include "payments/domain/account_json.hpp"
#include "payments/handlers/handlers.hpp"
#include "payments/storage/account_repository.hpp"

namespace kpo::payments {

http::Response ListEntries(db::Pool& pool, const http::Request& request) {
  const auto user_id = http::RequireUserId(request);
  const auto page = http::ReadPageRequest(request);
  auto lease = pool.Acquire();
  auto entries = AccountRepository::ListEntries(*lease, user_id, page.before, page.FetchLimit());
  const auto next = http::TrimToPage(entries, page);
  return http::JsonResponse(200, EntryPageToJson(entries, next));
}

}  // namespace kpo::payments
