#pragma once
// Consumes orders.payment-results and moves orders to Finished / Cancelled exactly once.
#include <stop_token>
#include <vector>

#include "db/pool.hpp"
#include "messaging/amqp.hpp"

namespace kpo::orders {

// The queue orders consumes, bound to payments/payment.succeeded and payment.failed.
messaging::QueueSpec PaymentResultsQueue();

// Handles a batch of deliveries in one transaction: a malformed result, or one for an unknown
// order or contradicting it, is dead-lettered alone; a duplicate message_id or an order no longer
// Created is acked without change; the other transitions commit together, then all are acked.
std::vector<messaging::Disposition> HandlePaymentResults(db::Pool& pool,
                                                         const std::vector<messaging::Delivery>& batch,
                                                         std::stop_token stop);

}  // namespace kpo::orders
