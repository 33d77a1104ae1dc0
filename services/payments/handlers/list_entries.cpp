#include "core/ids.hpp"
#include "http/json_body.hpp"
#include "http/router.hpp"
#include "payments/domain/account_json.hpp"
#include "payments/handlers/handlers.hpp"
#include "payments/storage/account_repository.hpp"

namespace kpo::payments {

http::Response ListEntries(db::Pool& pool, const http::Request& request) {
  const auto user_id = http::RequireUserId(request);
  const auto limit = static_cast<int>(http::QueryInt(request, "limit", kDefaultPageSize, 1, kMaxPageSize));
  const auto before = http::QueryCursor(request, "before");
  auto lease = pool.Acquire();
  // One extra row tells whether another page exists without a count query.
  auto entries = AccountRepository::ListEntries(*lease, user_id, before, limit + 1);
  std::optional<std::string> next;
  if (static_cast<int>(entries.size()) > limit) {
    entries.pop_back();
    next = entries.back().id;
  }
  return http::JsonResponse(200, EntryPageToJson(entries, next));
}

}  // namespace kpo::payments
