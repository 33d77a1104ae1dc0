#include "core/retry.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "idempotency/idempotency.hpp"
#include "orders/app/admission.hpp"
#include "orders/app/order_intake.hpp"
#include "orders/domain/order.hpp"
#include "orders/handlers/handlers.hpp"

namespace kpo::orders {

std::optional<http::Response> RefuseWhileBehind(Admission& admission) {
  if (admission.Admit()) return std::nullopt;
  return http::ProblemError(503, "Too many orders are waiting for payment right now; try again in a second")
      .WithType(std::string(http::kOverloadedProblemType))
      .WithRetryAfter(1)
      .ToResponse();
}

http::Response CreateOrder(const OrderServices& services, const http::Request& request) {
  const auto user_id = http::RequireUserId(request);
  http::JsonBody body(request.body, {"amount", "description"});
  const auto amount = body.Int("amount", core::kMinAmount, core::kMaxAmount);
  auto description = body.String("description", 1, kMaxDescriptionChars);
  body.Finish();
  auto key = idempotency::ReadKey(request, user_id);
  auto response = services.intake.Submit({.user_id = user_id,
                                          .amount = *amount,
                                          .description = std::move(*description),
                                          .traceparent = request.traceparent,
                                          .key = std::move(key)});
  // Committed: the relay publishes the event now instead of at its next poll.
  if (response.status == 202 && services.relay_wakeup != nullptr) services.relay_wakeup->Notify();
  return response;
}

}  // namespace kpo::orders
