#pragma once
// Use case: accept a new order.
#include <string>

#include "core/money.hpp"
#include "db/connection.hpp"
#include "orders/domain/order.hpp"

namespace kpo::orders {

// Stores a new Created order of `user_id` with its "created" step, its change event and its
// OrderCreated event in the outbox, all inside `tx`: the order is accepted if and only if its
// event will be published. Inputs must already be validated. Throws db::DbError.
Order PlaceOrder(db::Transaction& tx, const std::string& user_id, core::Minor amount, std::string description,
                 const std::string& traceparent);

}  // namespace kpo::orders
