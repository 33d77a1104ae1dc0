#pragma once
// The payments side of the message contract (docs/architecture.md, "Message contract").
#include <optional>
#include <string>

#include "contract/events.hpp"
#include "messaging/amqp.hpp"
#include "payments/domain/account.hpp"

namespace kpo::payments {

// The queue payments consumes new orders from (the exchanges and keys: contract/events.hpp).
inline constexpr const char* kOrderCreatedQueue = "payments.order-created";

struct OrderCreated {
  std::string order_id;
  std::string user_id;
  core::Minor amount = 0;
};

// Parses OrderCreated {"orderId","userId","amount","createdAt"}. Throws messaging::PoisonMessage
// when the body breaks the contract.
OrderCreated ParseOrderCreated(const messaging::Delivery& delivery);

// PaymentSucceeded on payments/payment.succeeded: {"orderId","userId","amount","entryId","processedAt"}.
messaging::Message PaymentSucceededMessage(const OrderCreated& order, const std::string& entry_id,
                                           const std::string& processed_at, const std::string& traceparent);
// PaymentFailed on payments/payment.failed: {"orderId","userId","amount","reason","processedAt"}.
messaging::Message PaymentFailedMessage(const OrderCreated& order, ChargeFailure reason,
                                        const std::string& processed_at, const std::string& traceparent);

// The traceparent to put on messages caused by `delivery`: a child of its own, or a new trace.
std::string ContinueTrace(const messaging::Delivery& delivery);

}  // namespace kpo::payments
