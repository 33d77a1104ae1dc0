#pragma once
// The idempotent consumer: a message's effects and its inbox row commit in one transaction, so
// a redelivered message (same message_id) is recognised and changes nothing.
//
// Every service that uses it owns this table (created by its own migration):
//   inbox(message_id uuid PRIMARY KEY, type text, received_at timestamptz)
#include <functional>
#include <stdexcept>
#include <stop_token>

#include "db/pool.hpp"
#include "messaging/amqp.hpp"

namespace kpo::messaging {

// Thrown by an apply function for a message that can never be processed (malformed, violates
// the contract). The consumer dead-letters it at once.
class PoisonMessage : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Processes `delivery` exactly once per message_id:
//  - a message_id that is not a UUID is poison (kDeadLetter);
//  - in one transaction: insert the inbox row; if it already existed the message is a duplicate
//    and nothing else runs; otherwise `apply` runs; then commit;
//  - returns kAck only after the commit; PoisonMessage → kDeadLetter.
// Failures of the infrastructure (connection lost, pool exhausted, server shutting down) say
// nothing about the message: they are retried here with backoff until `stop`, so that an outage
// does not push valid messages through the delivery limit into the DLQ. Other errors propagate
// (the consumer requeues; the broker dead-letters after the delivery limit).
Disposition ProcessOnce(db::Pool& pool, const Delivery& delivery,
                        const std::function<void(db::Transaction&)>& apply, std::stop_token stop);

}  // namespace kpo::messaging
