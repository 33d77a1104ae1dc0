#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <memory>

#include "core/money.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "idempotency/idempotency.hpp"
#include "orders/app/admission.hpp"
#include "orders/app/order_intake.hpp"
#include "orders/domain/order.hpp"
#include "orders/handlers/handlers.hpp"

namespace kpo::orders {
namespace asio = boost::asio;

http::Router::GateAnswer AdmitOrRefuse(Admission& admission) {
  std::shared_ptr<void> ticket;
  const auto refusal = admission.Admit(ticket);
  if (refusal == Admission::Refusal::kNone) return {.refusal = std::nullopt, .ticket = std::move(ticket)};
  // Words for every cause of each refusal: an overload, a part of the pipeline that stopped (the
  // broker, payments), which holds orders waiting for payment the same way, and a pipeline catching up
  // on the orders a replica left unfinished when it died.
  const char* detail = refusal == Admission::Refusal::kInFlight
                           ? "More orders are arriving than can be answered quickly, so this order was "
                             "not placed; try again in a second"
                           : "Orders are waiting longer than usual to be paid (payments are slow, have "
                             "stopped or are catching up), so new orders are refused for now and this one "
                             "was not placed; try again in a second";
  return {.refusal = http::ProblemError(503, detail)
                         .WithType(std::string(http::kOverloadedProblemType))
                         .WithRetryAfter(1)
                         .WithReason(refusal == Admission::Refusal::kInFlight ? "admission_in_flight"
                                                                              : "admission_pipeline_behind")
                         .ToResponse(),
          .ticket = nullptr};
}

boost::asio::awaitable<http::Response> CreateOrder(const OrderServices& services, http::Request& request) {
  const auto user_id = http::RequireUserId(request);
  http::JsonBody body(request.body, {"amount", "description"});
  const auto amount = body.Int("amount", core::kMinAmount, core::kMaxAmount);
  auto description = body.String("description", 1, kMaxDescriptionChars);
  body.Finish();
  OrderSubmission submission{.order = {.user_id = user_id,
                                       .amount = *amount,
                                       .description = std::move(*description),
                                       .traceparent = request.traceparent},
                             .key = idempotency::ReadKey(request, user_id)};
  // The request waits on its I/O thread's loop without holding a thread; the intake's writer posts
  // the answer back to it (a failure is rethrown here, to the server's edge).
  auto response =
      co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, http::Response)>(
          [&services, &submission](auto handler) {
            auto waiting = std::make_shared<decltype(handler)>(std::move(handler));
            services.intake.Hand(
                std::move(submission), [waiting](std::exception_ptr failure, http::Response answer) {
                  const auto executor = asio::get_associated_executor(*waiting);
                  asio::post(executor,
                             [waiting, failure = std::move(failure), answer = std::move(answer)]() mutable {
                               (*waiting)(std::move(failure), std::move(answer));
                             });
                });
          },
          asio::use_awaitable);
  co_return response;
}

}  // namespace kpo::orders
