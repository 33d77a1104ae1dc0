#pragma once
// Consumes payments.order-created: charges each order at most once (idempotent consumer).
#include <memory>
#include <stop_token>
#include <vector>

#include "db/pool.hpp"
#include "messaging/amqp.hpp"
#include "messaging/outbox.hpp"

namespace kpo::payments {

// The queue payments consumes, bound to orders/order.created.
messaging::QueueSpec OrderCreatedQueue();

// Handles a batch of deliveries in one transaction: malformed → dead letter (alone); a duplicate
// message_id or an already decided order → ack without change; otherwise inbox rows + charges +
// result events commit together, then everything is acked. The result events of a commit go to
// `relay_handoff` (when set).
std::vector<messaging::Disposition> HandleOrderCreated(db::Pool& pool,
                                                       const std::vector<messaging::Delivery>& batch,
                                                       messaging::OutboxHandoff* relay_handoff,
                                                       std::stop_token stop);

}  // namespace kpo::payments
