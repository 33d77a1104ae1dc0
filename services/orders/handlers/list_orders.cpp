#include "http/json_body.hpp"
#include "http/router.hpp"
#include "orders/domain/order_json.hpp"
#include "orders/handlers/handlers.hpp"
#include "orders/storage/order_repository.hpp"

namespace kpo::orders {

http::Response ListOrders(db::Pool& pool, const http::Request& request) {
  const auto user_id = http::RequireUserId(request);
  const auto limit = static_cast<int>(http::QueryInt(request, "limit", kDefaultPageSize, 1, kMaxPageSize));
  const auto before = http::QueryCursor(request, "before");
  auto lease = pool.Acquire();
  // One extra row tells whether another page exists without a count query.
  auto orders = OrderRepository::ListForUser(*lease, user_id, before, limit + 1);
  std::optional<std::string> next;
  if (static_cast<int>(orders.size()) > limit) {
    orders.pop_back();
    next = orders.back().id;
  }
  return http::JsonResponse(200, OrderPageToJson(orders, next));
}

}  // namespace kpo::orders
