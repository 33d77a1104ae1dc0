#include "http/json_body.hpp"
#include "http/router.hpp"
#include "orders/domain/order_json.hpp"
#include "orders/handlers/handlers.hpp"
#include "orders/storage/order_repository.hpp"

namespace kpo::orders {

http::Response ListOrders(db::Pool& pool, const http::Request& request) {
  const auto user_id = http::RequireUserId(request);
  const auto page = http::ReadPageRequest(request);
  auto lease = pool.Acquire();
  auto orders = OrderRepository::ListForUser(*lease, user_id, page.before, page.FetchLimit());
  const auto next = http::TrimToPage(orders, page);
  return http::JsonResponse(200, OrderPageToJson(orders, next));
}

}  // namespace kpo::orders
