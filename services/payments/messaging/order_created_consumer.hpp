#pragma once
// Consumes payments.order-created: charges each order at most once (idempotent consumer).
#include <stop_token>

#include "db/pool.hpp"
#include "messaging/amqp.hpp"

namespace kpo::payments {

// The queue payments consumes, bound to orders/order.created.
messaging::QueueSpec OrderCreatedQueue();

// Handles one delivery: malformed → dead letter; a duplicate message_id or an already decided
// order → ack without change; otherwise inbox row + charge + result event commit together, then ack.
messaging::Disposition HandleOrderCreated(db::Pool& pool, const messaging::Delivery& delivery,
                                          std::stop_token stop);

}  // namespace kpo::payments
