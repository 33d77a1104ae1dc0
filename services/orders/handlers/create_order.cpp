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

http::Router::GateAnswer AdmitOrRefuse(Admission& admission) {
  std::shared_ptr<void> ticket;
  const auto refusal = admission.Admit(ticket);
  if (refusal == Admission::Refusal::kNone) return {.refusal = std::nullopt, .ticket = std::move(ticket)};
  const char* detail = refusal == Admission::Refusal::kInFlight
                           ? "More orders are arriving than can be answered quickly; try again in a second"
                           : "Too many orders are waiting for payment right now; try again in a second";
  return {.refusal = http::ProblemError(503, detail)
                         .WithType(std::string(http::kOverloadedProblemType))
                         .WithRetryAfter(1)
                         .ToResponse(),
          .ticket = nullptr};
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
