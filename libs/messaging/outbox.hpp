#pragma once
// The transactional outbox: events are written in the same PostgreSQL transaction as the state
// change they describe, and a relay publishes them to RabbitMQ with publisher confirms.
//
// Every service that uses it owns this table (created by its own migration):
//   outbox(id bigserial PK, message_id uuid UNIQUE, exchange, routing_key, type, correlation_id,
//          payload text, traceparent text NULL, created_at, published_at NULL)
#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "db/pool.hpp"
#include "messaging/amqp.hpp"

namespace kpo::messaging {

// The NOTIFY channel that wakes relays when a row is enqueued.
inline constexpr const char* kOutboxChannel = "outbox";

// Inserts `message` into the outbox inside `tx` and notifies relays at commit. The message is
// published if and only if `tx` commits. Throws db::DbError.
void EnqueueOutbox(db::Transaction& tx, const Message& message);

struct RelayOptions {
  std::string database_url;
  AmqpSettings amqp;
  std::size_t batch_size = 200;
  std::chrono::milliseconds poll_interval{1000};  // fallback when a NOTIFY is missed
  std::chrono::milliseconds confirm_timeout{10'000};
  std::chrono::milliseconds retention{std::chrono::hours(1)};  // published rows kept this long
  // Durable topic exchanges the relay declares on every connect, so the first publish of a fresh
  // broker does not fail for want of them.
  std::vector<std::string> exchanges;
  // Failpoint for crash tests: the process kills itself (SIGKILL) after the broker confirmed a
  // batch and before the rows are marked published — the worst moment for a relay to die.
  bool crash_after_confirm = false;
  // Called inside the transaction that marks rows published, with the confirmed messages and the
  // time they were handed to the broker: lets a service record "published" on its own entities
  // atomically with the mark.
  std::function<void(db::Transaction&, const std::vector<Message>&, const std::string& sent_at)> on_published;
};

// Publishes the outbox. Any number of relays (replicas) may run: each batch is claimed with
// FOR UPDATE SKIP LOCKED, published with confirms, and marked published in the same transaction
// only after the broker confirmed it. A crash between the confirm and the commit republishes the
// batch later: consumers deduplicate on message_id (at-least-once delivery).
class OutboxRelay {
 public:
  explicit OutboxRelay(RelayOptions options);

  // Blocks until `stop`; reconnects to PostgreSQL and RabbitMQ with backoff after failures.
  void Run(std::stop_token stop);

 private:
  // Publishes batches until the outbox is empty or the broker refuses some rows. Returns the
  // number of rows marked published.
  std::size_t Drain(db::Connection& db, Connection& amqp);
  void DeletePublished(db::Connection& db);

  RelayOptions options_;
};

// Waits `delay` or until `stop` is requested, whichever comes first. Returns false on stop.
bool WaitFor(std::stop_token stop, std::chrono::milliseconds delay);

}  // namespace kpo::messaging
