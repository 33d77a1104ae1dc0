#pragma once
// The transactional outbox: events are written in the same PostgreSQL transaction as the state
// change they describe, and a relay publishes them to RabbitMQ with publisher confirms.
//
// The table is defined here, once (migrations/outbox/*.sql, see OutboxSchema):
//   outbox(id bigserial PK, message_id uuid UNIQUE, exchange, routing_key, type, correlation_id,
//          payload text, traceparent text NULL, created_at, published_at NULL)
// A row lives until the broker confirmed it and its relay deleted it (at once, or within
// RelayOptions::delete_delay), so the table holds the unpublished backlog and little more.
#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "db/arrays.hpp"
#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "messaging/amqp.hpp"
#include "messaging/outbox_handoff.hpp"

namespace kpo::messaging {

// The outbox table, component "outbox": a service that uses the outbox applies it with its own
// migrations (db::Migrate, before the service's schema).
db::Schema OutboxSchema();

// Inserts `messages` into the outbox inside `tx` (one statement). They are published if and only
// if `tx` commits. Nothing is signalled in the transaction: NOTIFY would take PostgreSQL's
// cluster-wide notify lock at every commit. With a `handoff`, the messages are offered to this
// process's relays once `tx` has committed (db::Transaction::AfterCommit), so that a relay
// publishes them without reading them back; without one they wait for a relay's poll. The insert
// is queued (db::Transaction::Queue): its failure is thrown by the transaction's next Exec or Commit.
void EnqueueOutbox(db::Transaction& tx, std::span<const Message> messages, OutboxHandoff* handoff = nullptr);

// A message the broker confirmed, with the time (RFC 3339) the relay handed it to the broker.
struct PublishedMessage {
  Message message;
  std::string sent_at;
};

struct RelayOptions {
  std::string database_url;
  // The relay's session in pg_stat_activity.
  std::string application_name = "outbox-relay";
  AmqpSettings amqp;
  std::size_t batch_size = 200;  // rows claimed, published and confirmed together
  // How often a relay looks for rows no relay of this process holds: rows of other replicas (their
  // own relay died) and rows the broker refused. With a handoff only rows older than `orphan_age` are
  // taken, so another replica's rows are left to its own relay while it publishes them in time (a row
  // its relay is slower with may be published by both: the consumers drop the duplicate).
  std::chrono::milliseconds poll_interval{200};
  // Committed messages of this process (its committers Offer them); null (the seed design) leaves
  // everything to the poll.
  std::shared_ptr<OutboxHandoff> handoff;
  std::chrono::milliseconds orphan_age{1000};
  // Confirmed handed rows are deleted together, at most this long after their confirm (0: each
  // batch at once): one commit for several batches when they are small. A crash in between
  // publishes them again, which the consumers absorb (at-least-once delivery).
  std::chrono::milliseconds delete_delay{100};
  std::chrono::milliseconds confirm_timeout{10'000};
  // While rows flow, one relay per process vacuums the outbox this often (0: autovacuum alone).
  // Every published row leaves a dead row and dead index entries behind, and autovacuum visits a
  // database at most once a minute: until then each claim walks all of them (188 buffer reads per
  // claim at 400 orders/s, measured with pg_stat_statements; ~20 with a vacuum every few seconds).
  std::chrono::milliseconds vacuum_interval{2000};
  // Durable topic exchanges the relay declares on every connect, so the first publish of a fresh
  // broker does not fail for want of them.
  std::vector<std::string> exchanges;
  // Failpoint for crash tests: the process kills itself (SIGKILL) after the broker confirmed a
  // batch and before its rows are deleted — the worst moment for a relay to die.
  bool crash_after_confirm = false;
  // Called inside the transaction that deletes confirmed rows, once, with their messages and the
  // times they were handed to the broker: lets a service record "published" on its own entities
  // atomically with the delete.
  std::function<void(db::Transaction&, const std::vector<PublishedMessage>&)> on_published;
};

// Publishes the outbox. Any number of relays (replicas) may run. A relay publishes the messages its
// process handed it (OutboxHandoff) with confirms and deletes their rows after the confirm; rows
// nobody holds it claims with FOR UPDATE SKIP LOCKED, publishes and deletes in that transaction.
// A crash between a confirm and the delete republishes the rows later: consumers deduplicate on
// message_id (at-least-once delivery).
class OutboxRelay {
 public:
  explicit OutboxRelay(RelayOptions options);

  // Blocks until `stop`; reconnects to PostgreSQL and RabbitMQ with backoff after failures.
  void Run(std::stop_token stop);

 private:
  // Publishes a batch of handed messages, if any wait. Returns whether it took any.
  bool PublishHanded(Connection& amqp);
  // Deletes the confirmed handed rows if `now` or if the oldest waited delete_delay.
  void DeleteConfirmed(db::Connection& db, bool now);
  // Publishes `batch` with confirms (the crash failpoint after it); which the broker confirmed.
  std::vector<bool> PublishBatch(Connection& amqp, const std::vector<Message>& batch) const;
  // How old a row must be for the poll, and (into `held`) the rows it must leave alone.
  std::string OrphanAge(db::ArrayParam& held) const;
  // Claims a batch of rows nobody holds, publishes it and deletes what the broker confirmed, in
  // one transaction. Returns whether more may be waiting right now (the batch was full).
  bool Drain(db::Connection& db, Connection& amqp);
  // Sleeps until handed messages wait, `deadline` passes or `stop`, keeping the broker connection alive.
  void Idle(Connection& amqp, const std::stop_token& stop, std::chrono::steady_clock::time_point deadline);

  RelayOptions options_;
  std::vector<PublishedMessage> confirmed_;                // handed and confirmed; rows not yet deleted
  std::chrono::steady_clock::time_point first_confirmed_;  // of confirmed_'s oldest
};

}  // namespace kpo::messaging
