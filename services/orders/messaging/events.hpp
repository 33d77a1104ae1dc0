#pragma once
// The orders side of the message contract (docs/architecture.md, "Message contract").
#include <optional>
#include <string>

#include "contract/events.hpp"
#include "messaging/amqp.hpp"
#include "orders/domain/order.hpp"

namespace kpo::orders {

// The queue orders consumes payment results from (the exchanges and keys: contract/events.hpp).
inline constexpr const char* kPaymentResultsQueue = "orders.payment-results";

// OrderCreated {"orderId","userId","amount","createdAt"} on orders/order.created, with a fresh
// message_id, correlation_id = order id and the request's traceparent.
messaging::Message OrderCreatedMessage(const Order& order, const std::string& traceparent);

struct PaymentResult {
  std::string order_id;
  std::string user_id;
  core::Minor amount = 0;
  PaymentOutcome outcome;
  std::optional<std::string> entry_id;  // PaymentSucceeded only
  std::string processed_at;             // RFC 3339 UTC, normalised
};

// Parses payment.succeeded / payment.failed. Throws messaging::PoisonMessage for anything that
// does not follow the contract (unknown routing key, malformed JSON, missing or bad fields).
PaymentResult ParsePaymentResult(const messaging::Delivery& delivery);

}  // namespace kpo::orders
