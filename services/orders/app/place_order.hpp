#pragma once
// Use case: accept new orders.
#include <span>
#include <string>
#include <vector>

#include "core/money.hpp"
#include "db/connection.hpp"
#include "messaging/outbox.hpp"
#include "orders/domain/order.hpp"

namespace kpo::orders {

// A validated new order as its request carried it.
struct OrderDraft {
  std::string user_id;
  core::Minor amount = 0;
  std::string description;
  std::string traceparent;
};

// Stores each draft as a new Created order with its "created" step, its change event and its
// OrderCreated event in the outbox, all inside `tx` (two statements for the whole batch): an order
// is accepted if and only if its event will be published. Once `tx` commits the events go to
// `relay_handoff` (if any; messaging::EnqueueOutbox). Returns the orders in the drafts' order.
// Inputs must already be validated. Throws db::DbError.
std::vector<Order> PlaceOrders(db::Transaction& tx, std::span<const OrderDraft> drafts,
                               messaging::OutboxHandoff* relay_handoff = nullptr);

}  // namespace kpo::orders
