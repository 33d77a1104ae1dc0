#include "core/retry.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "idempotency/idempotency.hpp"
#include "orders/app/admission.hpp"
#include "orders/app/place_order.hpp"
#include "orders/domain/order_json.hpp"
#include "orders/handlers/handlers.hpp"

namespace kpo::orders {

std::optional<http::Response> RefuseWhileBehind(const Admission& admission) {
  if (admission.Admits()) return std::nullopt;
  return http::ProblemError(503, "Too many orders are waiting for payment right now; try again in a second")
      .WithRetryAfter(1)
      .ToResponse();
}

http::Response CreateOrder(const OrderServices& services, const http::Request& request) {
  const auto user_id = http::RequireUserId(request);
  http::JsonBody body(request.body, {"amount", "description"});
  const auto amount = body.Int("amount", core::kMinAmount, core::kMaxAmount);
  auto description = body.String("description", 1, kMaxDescriptionChars);
  body.Finish();
  auto response = idempotency::Run(services.pool, request, user_id, [&](db::Transaction& tx) {
    const auto order = PlaceOrder(tx, user_id, *amount, std::move(*description), request.traceparent);
    auto accepted = http::JsonResponse(202, OrderToJson(order));
    accepted.SetHeader("Location", "/api/orders/" + order.id);
    return accepted;
  });
  // Committed: the relay publishes the event now instead of at its next poll.
  if (response.status == 202 && services.relay_wakeup != nullptr) services.relay_wakeup->Notify();
  return response;
}

}  // namespace kpo::orders
