#pragma once
// The idempotent consumer: a message's effects and its inbox row commit in one transaction, so
// a redelivered message (same message_id) is recognised and changes nothing.
//
// The table is defined here, once (migrations/inbox/*.sql, see InboxSchema):
//   inbox(message_id uuid PRIMARY KEY, type text, received_at timestamptz)
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <vector>

#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "db/retention.hpp"
#include "messaging/amqp.hpp"

namespace kpo::messaging {

// The inbox table, component "inbox": a service that uses ProcessBatch applies it with its own
// migrations (db::Migrate, before the service's schema).
db::Schema InboxSchema();

// The sweep that forgets inbox rows older than `retention` (database_url left for the service).
// A redelivery later than the retention is not recognised by the inbox: the services' own keys
// (one charge per order, a final order status) still make it change nothing, so the retention
// only needs to outlast the usual redeliveries (broker redeliveries, a relay republishing after a
// crash, an operator replaying the dead-letter queue within the week).
db::RetentionSweep InboxSweep(std::chrono::seconds retention = std::chrono::hours(24 * 7));

// Thrown by a parser for a message that can never be processed (malformed, violates the
// contract); the apply function turns it into a Rejection.
class PoisonMessage : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A message the apply function refuses for good (malformed, contradicts the contract): it is
// dead-lettered, alone, and its inbox row is not kept.
struct Rejection {
  std::size_t index = 0;  // into the `fresh` deliveries handed to the apply function
  std::string reason;
};

// Applies the effects of `fresh` (deliveries not seen before, in delivery order) inside `tx` and
// returns the ones it refuses. When it refuses any, the transaction is rolled back and the batch
// is applied again without them, so an apply function may return early on a rejection.
using ApplyBatch =
    std::function<std::vector<Rejection>(db::Transaction& tx, const std::vector<const Delivery*>& fresh)>;

// Processes a batch of deliveries exactly once per message_id, in one transaction:
//  - a message_id that is not a UUID is dead-lettered at once;
//  - inbox rows for the rest are inserted in one statement; those already there are duplicates
//    (acked, nothing else runs); `apply` gets the fresh ones; then one commit;
//  - returns one disposition per delivery: kAck only after the commit, kDeadLetter for rejections.
// Failures of the infrastructure (connection lost, pool exhausted, server shutting down, a lock
// timeout) say nothing about the messages: they are retried here with backoff until `stop` (then
// kRetry), so that an outage does not push valid messages through the delivery limit into the DLQ.
// A deadlock or serialization failure runs the batch again whole, a few times. Any other error of a
// batch of several messages is isolated by applying each message alone. A single message is
// dead-lettered at once for a data exception (its values fail the same way every time); any other
// error of a single message propagates (the consumer requeues; the broker dead-letters after the
// delivery limit).
std::vector<Disposition> ProcessBatch(db::Pool& pool, const std::vector<Delivery>& deliveries,
                                      const ApplyBatch& apply, std::stop_token stop);

}  // namespace kpo::messaging
