#include "core/ids.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "orders/domain/order_json.hpp"
#include "orders/handlers/handlers.hpp"
#include "orders/storage/order_repository.hpp"

namespace kpo::orders {

http::Response GetOrder(db::Pool& pool, const http::Request& request) {
  const auto user_id = http::RequireUserId(request);
  // A malformed id cannot name an order: the same 404 as a missing one.
  const auto id = core::NormalizeUuid(request.path_params.at("id"));
  auto lease = pool.Acquire();
  auto order = id ? OrderRepository::FindForUser(*lease, user_id, *id) : std::nullopt;
  if (!order) throw http::ProblemError(404, "Order not found");
  return http::JsonResponse(200, OrderToJson(*order));
}

}  // namespace kpo::orders
