#pragma once
// Consumes orders.payment-results and moves orders to Finished / Cancelled exactly once.
#include <stop_token>

#include "db/pool.hpp"
#include "messaging/amqp.hpp"

namespace kpo::orders {

// The queue orders consumes, bound to payments/payment.succeeded and payment.failed.
messaging::QueueSpec PaymentResultsQueue();

// Handles one delivery: malformed → dead letter; duplicate message_id or an order no longer
// Created → ack without change; otherwise the transition commits, then ack.
messaging::Disposition HandlePaymentResult(db::Pool& pool, const messaging::Delivery& delivery,
                                           std::stop_token stop);

}  // namespace kpo::orders
