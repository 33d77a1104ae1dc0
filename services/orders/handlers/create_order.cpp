#include "core/ids.hpp"
#include "domain/order_json.hpp"
#include "handlers/handlers.hpp"
#include "http/json_body.hpp"
#include "http/router.hpp"
#include "idempotency/idempotency.hpp"
#include "storage/order_repository.hpp"

namespace kpo::orders {

http::Response CreateOrder(db::Pool& pool, const http::Request& request) {
  const auto user_id = http::RequireUserId(request);
  http::JsonBody body(request.body, {"amount", "description"});
  const auto amount = body.Int("amount", core::kMinAmount, core::kMaxAmount);
  auto description = body.String("description", 1, kMaxDescriptionChars);
  body.Finish();

  return idempotency::Run(pool, request, user_id, [&](db::Transaction& tx) {
    const auto order = NewOrder(core::NewUuid(), user_id, *amount, std::move(*description), core::Now());
    OrderRepository::InsertWithOutbox(tx, order, request.traceparent);
    auto response = http::JsonResponse(202, OrderToJson(order));
    response.SetHeader("Location", "/api/orders/" + order.id);
    return response;
  });
}

}  // namespace kpo::orders
