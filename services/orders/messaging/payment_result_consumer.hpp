#pragma once
// Consumes orders.payment-results and moves orders to Finished / Cancelled exactly once.
#include <stop_token>
#include <vector>

#include "db/pool.hpp"
#include "messaging/amqp.hpp"

namespace kpo::orders {

// The queue orders consumes, bound to payments/payment.succeeded and payment.failed.
messaging::QueueSpec PaymentResultsQueue();

// Registers orders_settled_total's series and orders_created_to_final_seconds at 0, so that the first
// order settled after a start is seen by rate() (a series born with its first increment hides it).
// Call before the consumers start; HandlePaymentResults counts what each committed batch settled.
void RegisterSettlementMetrics();

// Handles a batch of deliveries in one transaction: a malformed result, or one for an unknown
// order or contradicting it, is dead-lettered alone; a duplicate message_id or an order no longer
// Created is acked without change; the other transitions commit together, then all are acked.
std::vector<messaging::Disposition> HandlePaymentResults(db::Pool& pool,
                                                         const std::vector<messaging::Delivery>& batch,
                                                         std::stop_token stop);

}  // namespace kpo::orders
