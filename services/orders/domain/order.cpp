#include "orders/domain/order.hpp"

#include "contract/events.hpp"

namespace kpo::orders {

std::string_view ToString(OrderStatus status) {
  switch (status) {
    case OrderStatus::kCreated:
      return "Created";
    case OrderStatus::kFinished:
      return "Finished";
    case OrderStatus::kCancelled:
      return "Cancelled";
  }
  return "Created";
}

std::string_view ToString(FailureReason reason) {
  switch (reason) {
    case FailureReason::kInsufficientFunds:
      return contract::kInsufficientFunds;
    case FailureReason::kAccountNotFound:
      return contract::kAccountNotFound;
  }
  return contract::kInsufficientFunds;
}

std::optional<OrderStatus> ParseOrderStatus(std::string_view text) {
  for (auto status : {OrderStatus::kCreated, OrderStatus::kFinished, OrderStatus::kCancelled}) {
    if (ToString(status) == text) return status;
  }
  return std::nullopt;
}

std::optional<FailureReason> ParseFailureReason(std::string_view text) {
  for (auto reason : {FailureReason::kInsufficientFunds, FailureReason::kAccountNotFound}) {
    if (ToString(reason) == text) return reason;
  }
  return std::nullopt;
}

Order NewOrder(std::string id, std::string user_id, core::Minor amount, std::string description,
               core::TimePoint now) {
  Order order;
  order.id = std::move(id);
  order.user_id = std::move(user_id);
  order.amount = amount;
  order.description = std::move(description);
  order.created_at = core::FormatRfc3339(now);
  order.updated_at = order.created_at;
  order.timeline.push_back({std::string(kStepCreated), order.created_at});
  return order;
}

std::optional<OrderStatus> NextStatus(OrderStatus current, const PaymentOutcome& outcome) {
  if (current != OrderStatus::kCreated) return std::nullopt;
  return outcome.succeeded ? OrderStatus::kFinished : OrderStatus::kCancelled;
}

std::vector<TimelineEntry> ApplyPaymentOutcome(Order& order, const PaymentOutcome& outcome,
                                               const std::string& paid_at, const std::string& now) {
  const auto next = NextStatus(order.status, outcome);
  if (!next) return {};
  order.status = *next;
  order.failure_reason = outcome.succeeded ? std::nullopt : outcome.reason;
  order.updated_at = now;
  std::vector<TimelineEntry> steps{
      {std::string(outcome.succeeded ? kStepPaymentSucceeded : kStepPaymentFailed), paid_at},
      {std::string(*next == OrderStatus::kFinished ? kStepFinished : kStepCancelled), now}};
  // A relay that died between the broker's confirm and its commit publishes again; when that repeat
  // committed first, its step is later than the payment, though the first publish was confirmed
  // before it: the step takes the payment's time, so the timeline stays in causal order.
  const auto paid = core::ParseRfc3339(paid_at);
  for (auto& entry : order.timeline) {
    const auto published = entry.step == kStepPublished ? core::ParseRfc3339(entry.at) : std::nullopt;
    if (published && paid && *published > *paid) entry.at = paid_at;
  }
  order.timeline.insert(order.timeline.end(), steps.begin(), steps.end());
  return steps;
}

}  // namespace kpo::orders
