#pragma once
// Use case: decide the payment of a batch of orders (the OrderCreated consumer's work).
#include <string>
#include <vector>

#include "db/connection.hpp"
#include "messaging/outbox.hpp"
#include "payments/messaging/events.hpp"

namespace kpo::payments {

struct OrderToPay {
  OrderCreated order;
  std::string traceparent;  // for the result event
};

struct PaymentsDecided {
  std::size_t succeeded = 0;
  std::size_t failed = 0;
  std::size_t already_decided = 0;  // decided by an earlier message (another message id)
};

// Decides, inside `tx`, every order of `orders` that was not decided before, in the given order:
// charges it when its account has the funds at that point (balances run through the batch, so
// the balance never goes negative), appends the charge to the ledger, records the decision and
// enqueues PaymentSucceeded / PaymentFailed in the outbox. An order is decided at most once,
// whatever the number of its messages, even across concurrent transactions. Once `tx` commits
// the result events go to `relay_handoff` (if any; messaging::EnqueueOutbox). Throws db::DbError.
PaymentsDecided PayOrders(db::Transaction& tx, const std::vector<OrderToPay>& orders,
                          messaging::OutboxHandoff* relay_handoff = nullptr);

}  // namespace kpo::payments
