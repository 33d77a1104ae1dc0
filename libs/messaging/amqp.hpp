#pragma once
// RabbitMQ on rabbitmq-c 0.11: connection, topology, publisher confirms, manual-ack consumer.
// rabbitmq-c connections are not thread safe: every class here owns its connection and must be
// used from one thread at a time.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "core/log.hpp"

namespace kpo::messaging {

// Any failure of the broker connection or of a protocol operation. After it, the object that
// threw must be discarded (its connection is closed) and a new one made.
class AmqpError : public std::runtime_error {
 public:
  // `reply_code`: the code of the broker's close that caused the error, 0 for any other failure.
  explicit AmqpError(const std::string& what, int reply_code = 0)
      : std::runtime_error(what), reply_code_(reply_code) {}
  int ReplyCode() const { return reply_code_; }
  // The broker refused because what was named does not exist (404 NOT_FOUND: a queue or exchange).
  bool IsNotFound() const { return reply_code_ == 404; }

 private:
  int reply_code_;
};

struct AmqpSettings {
  // amqp://user:pass@host:port/vhost, or several comma-separated (the nodes of a cluster): each
  // connect tries them in turn from a rotating start (broker_urls.hpp) until one accepts.
  std::string url = "amqp://guest:guest@localhost:5672/";
  std::chrono::milliseconds timeout{5000};  // connect, RPC and socket deadline (per address)
  std::string connection_name;              // shown in the management UI; a consumer's x-kpo-service
  // The broker closes a connection it has heard nothing from for about two of these: a
  // connection that may sit idle longer (a publisher between bursts) must call KeepAlive.
  int heartbeat_seconds = 30;
};

// A message as the contract describes it: persistent, JSON, with ids in AMQP properties.
struct Message {
  std::string exchange;
  std::string routing_key;
  std::string message_id;      // UUID, the consumers' dedupe key
  std::string type;            // event name, e.g. "OrderCreated"
  std::string correlation_id;  // the order id
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // string-valued, e.g. traceparent
};

// A new message: a fresh message_id (UUID), a JSON `body`, and `traceparent` as its header.
Message NewMessage(std::string_view exchange, std::string_view routing_key, std::string_view type,
                   std::string correlation_id, std::string body, std::string traceparent);

struct Delivery {
  Message message;  // exchange/routing_key as delivered
  std::uint64_t delivery_tag = 0;
  bool redelivered = false;
  std::int64_t delivery_count = 0;  // quorum queue x-delivery-count header (0 on first delivery)
  // Why the handler refused it, written by the handler through the const reference it is given
  // (its note to the consumer, like the disposition it returns). A dead letter carries it in
  // x-kpo-error.
  mutable std::string failure;
  // When this process read it from the broker: where a consumer's own latency starts.
  std::chrono::steady_clock::time_point received_at = std::chrono::steady_clock::now();
};

// Headers the consumer adds to a message it dead-letters itself, beside the original headers.
inline constexpr const char* kErrorHeader = "x-kpo-error";         // the reason (at most 1,000 bytes)
inline constexpr const char* kServiceHeader = "x-kpo-service";     // AmqpSettings::connection_name
inline constexpr const char* kFailedAtHeader = "x-kpo-failed-at";  // RFC 3339 UTC
inline constexpr const char* kQueueHeader = "x-kpo-queue";         // the queue it failed in
inline constexpr const char* kOriginExchangeHeader = "x-kpo-origin-exchange";  // where it was published
inline constexpr const char* kOriginKeyHeader = "x-kpo-origin-routing-key";

// The broker dead-letters a message returned more often than its queue's delivery limit, and it
// counts every return: a nack, and each unsettled delivery of a consumer that died (up to the
// prefetch window). A few crashes in a row would dead-letter valid messages that never failed
// themselves, and their orders would wait for an operator. So a delivery whose count reached
// RenewFrom(limit), half the limit, is renewed before it is handled: a copy goes to the queue itself
// through the default exchange (the origin kept in x-kpo-origin-*, restored on delivery),
// confirmed, and then the worn delivery is acked. Half, not all of it: deliveries prefetched but
// not yet read come back from a crash counted without having been seen. At most kMaxRenewals times
// per message (counted in x-kpo-renewals), so a message that fails every time still reaches the
// DLQ after a bounded number of attempts: RenewFrom(limit) × kMaxRenewals + limit + 1.
inline constexpr const char* kRenewalsHeader = "x-kpo-renewals";
inline constexpr int kMaxRenewals = 20;
constexpr int RenewFrom(int delivery_limit) { return delivery_limit / 2 > 1 ? delivery_limit / 2 : 1; }
// How often `message` was renewed (its kRenewalsHeader; 0 without one).
int Renewals(const Message& message);

// The ids of a message as log fields: trace_id/span_id (traceparent header), order_id (the
// correlation id), message_id and type.
core::LogFields MessageLogFields(const Message& message);

// A quorum queue bound to a topic exchange, with a dead-letter queue "<name>.dlq".
struct QueueSpec {
  std::string name;
  std::string exchange;
  std::vector<std::string> routing_keys;
  int delivery_limit = 5;  // deliveries after which the broker dead-letters the message
};

// The dead-letter exchange every queue's rejected messages go through (direct, routed by queue name).
inline constexpr const char* kDeadLetterExchange = "dlx";

// What kpo-dlq does with one dead letter (SettleDeadLetter).
enum class DeadLetterAction { kReplay, kDiscard };

// One open connection with one channel.
class Connection {
 public:
  // Connects to the first address of settings.url that accepts (trying each once, each within
  // settings.timeout), logs in, opens channel 1. Throws AmqpError when no address does.
  explicit Connection(const AmqpSettings& settings);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Declares a durable exchange (idempotent).
  void DeclareExchange(const std::string& name, const std::string& type = "topic");
  // Declares the dead-letter exchange, "<name>.dlq" bound to it, the quorum queue itself with
  // x-delivery-limit / x-dead-letter-exchange / at-least-once dead-lettering, and its bindings.
  // Also declares spec.exchange. Idempotent.
  void DeclareQueue(const QueueSpec& spec);

  // Deletes a queue or an exchange regardless of its use (tests and admin tools).
  void DeleteQueue(const std::string& name);
  void DeleteExchange(const std::string& name);

  // Publishes with publisher confirms and waits up to `deadline` for every confirm. Messages are
  // persistent and mandatory: a message the broker returns (unroutable) or nacks is not
  // confirmed. Returns one flag per message, true when the broker confirmed it.
  // Throws AmqpError on connection failure or when the deadline passes.
  std::vector<bool> PublishConfirmed(const std::vector<Message>& messages,
                                     std::chrono::milliseconds deadline);

  // Sends a heartbeat if one is due and reads whatever the broker sent meanwhile, without
  // blocking. Call it at least every heartbeat interval while the connection is otherwise idle.
  // Throws AmqpError when the connection is gone.
  void KeepAlive();

  // host:port of the broker node this connection is open to (one of settings.url's addresses).
  const std::string& Node() const;

  // Takes up to `max` messages from `queue` with basic.get. With `remove` they are acked,
  // otherwise they are returned to the queue when this call ends.
  std::vector<Delivery> Get(const std::string& queue, std::size_t max, bool remove);

  // Ready messages in `queue` (passive queue.declare). Throws AmqpError when it does not exist;
  // the connection is unusable afterwards.
  std::uint64_t QueueDepth(const std::string& queue);
  // Consumers of `queue` now (passive queue.declare); throws as QueueDepth.
  std::uint64_t QueueConsumers(const std::string& queue);

  struct Impl;

 private:
  friend class Consumer;
  friend std::size_t ReplayDeadLetters(const AmqpSettings& settings, const std::string& queue,
                                       std::size_t max);
  friend bool SettleDeadLetter(const AmqpSettings& settings, const std::string& queue,
                               const std::string& message_id, DeadLetterAction action, std::size_t max_scan);
  std::unique_ptr<Impl> impl_;
};

enum class Disposition {
  kAck,         // processed (or a duplicate): remove from the queue
  kRetry,       // transient failure: requeue; the broker dead-letters it after the delivery limit
  kDeadLetter,  // poison: dead-letter at once
};

// For a handler that waits on its consumer's thread (for the database to come back): sends the
// broker a heartbeat on that consumer's connection. A handler that waits longer than about two
// heartbeats (AmqpSettings::heartbeat_seconds) without it has its connection closed by the broker:
// the batch's deliveries go back to the queue, each a delivery the nearer the delivery limit, and
// the batch's acks fail once it does commit, so it is applied again as duplicates. Does nothing
// on any other thread; never throws (a connection already lost is found out by the ack).
void KeepConsumerAlive();

// Consumes one queue with manual acks and a prefetch window, reconnecting with exponential
// backoff (core::RunWithReconnect) after any broker failure.
class Consumer {
 public:
  using Handler = std::function<Disposition(const Delivery&)>;
  // Returns one disposition per delivery, in the same order.
  using BatchHandler = std::function<std::vector<Disposition>(const std::vector<Delivery>&)>;

  // `max_batch` (1..prefetch) bounds how many deliveries one BatchHandler call receives.
  // `priority` (basic.consume's x-priority, 0: none): the broker hands a queue's messages to its
  // highest-priority consumers while they have room in their prefetch window, and to lower ones
  // only when those are full.
  Consumer(AmqpSettings settings, QueueSpec queue, std::uint16_t prefetch, std::size_t max_batch = 1,
           int priority = 0);

  // Blocks until `stop` is requested. Declares the queue on every (re)connect, then hands the
  // deliveries to `handler` one at a time and settles each with the disposition it returns; an
  // exception from the handler is logged and treated as kRetry. The handler must make its
  // effects durable before returning kAck: the ack is sent only after it returns.
  // kDeadLetter: the consumer publishes the message (body, properties, string headers) to
  // "<queue>.dlq" itself, with the x-kpo-* headers above and Delivery::failure as the reason, and
  // acks the original only once the broker confirmed that copy. If that publish fails it rejects
  // the message instead (the broker dead-letters it, without a reason). A crash between the
  // confirm and the ack leaves the message in both queues: a dead letter may be duplicated,
  // never lost.
  void Run(const Handler& handler, std::stop_token stop);

  // Like Run, but hands over batches: the first delivery as soon as it arrives, together with
  // every further delivery already received (up to max_batch). An exception from the handler
  // retries the whole batch.
  void RunBatches(const BatchHandler& handler, std::stop_token stop);

 private:
  AmqpSettings settings_;
  QueueSpec queue_;
  std::uint16_t prefetch_;
  std::size_t max_batch_;
  int priority_;
};

// Republishes up to `max` messages of `<queue>.dlq` to the exchange and routing key they were
// first published to (x-death), with confirms, removing each from the DLQ once confirmed.
// Returns how many were replayed.
std::size_t ReplayDeadLetters(const AmqpSettings& settings, const std::string& queue, std::size_t max);

// Looks through up to `max_scan` messages of "<queue>.dlq" for the one with `message_id` and
// replays it (as ReplayDeadLetters does) or discards it; the others are returned to the DLQ
// (basic.nack with requeue; a quorum queue does not keep their order). Nothing is
// lost if the process dies meanwhile: the broker returns every unacked message, and a replayed one is acked
// only after its republish is confirmed (so a crash in between may leave it both replayed and in the DLQ).
// False when it was not found (or its replay was not confirmed). Throws AmqpError on broker failures.
bool SettleDeadLetter(const AmqpSettings& settings, const std::string& queue, const std::string& message_id,
                      DeadLetterAction action, std::size_t max_scan);

}  // namespace kpo::messaging
