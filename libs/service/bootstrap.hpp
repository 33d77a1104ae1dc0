#pragma once
// Start-up steps every service with a database and a broker shares (orders, payments). The
// database-only steps are in service/database.hpp (library kpo_service_db).
#include <functional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/workers.hpp"
#include "db/pool.hpp"
#include "db/retention.hpp"
#include "db/statistics.hpp"
#include "http/operational.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "messaging/amqp.hpp"
#include "messaging/inbox.hpp"
#include "messaging/outbox.hpp"
#include "service/database.hpp"

namespace kpo::service {

// The settings every database + broker service reads, named <PREFIX>_LISTEN, <PREFIX>_DATABASE_URL,
// <PREFIX>_DB_POOL_SIZE, <PREFIX>_IO_THREADS, <PREFIX>_IO_NICE, <PREFIX>_HTTP_WORKERS,
// <PREFIX>_HTTP_MAX_QUEUE, <PREFIX>_HTTP_QUEUE_TARGET_MS, <PREFIX>_HTTP_QUEUE_INTERVAL_MS,
// <PREFIX>_HTTP_MAX_QUEUE_WAIT_MS, <PREFIX>_CONSUMER_PREFETCH, <PREFIX>_RELAY_BATCH, <PREFIX>_CONSUMER_BATCH,
// <PREFIX>_CONSUMERS, <PREFIX>_RELAYS, <PREFIX>_RELAY_POLL_MS, <PREFIX>_RELAY_WAKEUP,
// <PREFIX>_RELAY_ORPHAN_AGE_MS, <PREFIX>_RELAY_VACUUM_MS, <PREFIX>_INBOX_RETENTION_H,
// <PREFIX>_CONSUMER_PRIORITY, <PREFIX>_ANALYZE_MS, <PREFIX>_RABBITMQ_URL (else RABBITMQ_URL) and
// KPO_FAILPOINTS. Throws std::invalid_argument for a malformed value.
struct ServiceSettings {
  std::string host;
  std::uint16_t port = 0;
  std::string database_url;
  messaging::AmqpSettings amqp;
  std::size_t pool_size = 16;
  int io_threads = 2;                  // <PREFIX>_IO_THREADS: the HTTP server's event loops
  int io_nice = http::kDefaultIoNice;  // <PREFIX>_IO_NICE: their nice value (ServerOptions::io_nice)
  int workers = 16;
  // The bounds of the HTTP workers' queue (http::ServerOptions::max_queued, queue).
  std::size_t max_queued = 512;
  core::CodelPolicy queue;
  // Deliveries a consumer thread may hold unacknowledged. Under load it is the batch size, and a
  // batch is one transaction: at 1450 orders/s offered (20 s, three runs each) 32 completed
  // 1258–1393/s with the payments hop's p50 at 112–449 ms, 128 kept up (1439–1459/s, 35–54 ms); at
  // 1600/s 256 completed 1576 and 1603/s against 1560 and 1400 with 128. The first (priority)
  // consumer then also takes nearly everything, so the two rarely wait for each other's row locks.
  std::uint16_t prefetch = 256;
  std::size_t consumer_batch = 256;  // deliveries applied in one transaction (1..prefetch)
  // Relay and consumer threads. Two of each overlap one's broker confirm or commit with the
  // other's work (rows and deliveries are claimed so that they never do the same work twice).
  int relays = 2;
  int consumers = 2;
  // The first consumer thread gets the queue's messages while it has room in its prefetch window;
  // the others only the overflow (RabbitMQ consumer priorities). Below the rate one consumer keeps
  // up with, the batches stay whole instead of being dealt out round-robin: fewer, larger
  // transactions per message. <PREFIX>_CONSUMER_PRIORITY=false deals them out evenly.
  bool consumer_priority = true;
  // Database, broker, batch, poll, hand-off and orphan age filled in (the delete delay is the
  // service's: <PREFIX>_RELAY_DELETE_DELAY_MS, read by its settings); relay.handoff is
  // null when the hand-off is off (<PREFIX>_RELAY_WAKEUP=false: the relays only poll, every row).
  messaging::RelayOptions relay;
  // Database filled in; retention from <PREFIX>_INBOX_RETENTION_H (default a week).
  db::RetentionSweep inbox_sweep;
  // Idempotency keys past their 24 h replay window (idempotency::KeySweep).
  db::RetentionSweep idempotency_sweep;
  // Database filled in; `every` from <PREFIX>_ANALYZE_MS (0: no keeper, autovacuum alone).
  db::StatisticsKeeperOptions statistics;
};
// `default_workers`: <PREFIX>_HTTP_WORKERS when unset; a service whose handlers mostly wait for
// something other than a pooled connection (orders: for their batch) runs more of them.
ServiceSettings ReadServiceSettings(core::Config& config, const std::string& prefix, const std::string& name,
                                    const std::string& default_listen,
                                    const std::string& default_database_url, int default_workers = 16);

// Starts `count` threads named `name`-0, `name`-1, ... running `work` until they are asked to stop
// (RequestStop, or when the group is destroyed).
core::Workers StartWorkers(const std::string& name, int count,
                           const std::function<void(std::stop_token)>& work);

// Starts `settings.relays` threads, each relaying the outbox with `settings.relay` until asked to
// stop (RequestStop, or when the group is destroyed).
core::Workers StartRelays(const ServiceSettings& settings);

// Applies one batch of deliveries and returns one disposition per delivery, in the same order (as
// messaging::Consumer::BatchHandler); `stop` is the consuming thread's.
using BatchHandler = std::function<std::vector<messaging::Disposition>(
    const std::vector<messaging::Delivery>& batch, std::stop_token stop)>;

// Starts `settings.consumers` threads, each consuming `queue` with `settings.prefetch` and handing
// batches of up to `settings.consumer_batch` deliveries to `handle`, until asked to stop
// (RequestStop, or when the group is destroyed). The consuming threads call `handle` concurrently.
core::Workers StartConsumers(const ServiceSettings& settings, const messaging::QueueSpec& queue,
                             BatchHandler handle);

// Starts one thread each sweeping the inbox the consumers fill, the idempotency keys
// (`settings.inbox_sweep`, `settings.idempotency_sweep`) and every sweep of `more` (the service's
// own tables; an empty database_url is the service's), and one keeping the planner's statistics of
// the service's young tables fresh (`settings.statistics`), until asked to stop (RequestStop, or
// when the group is destroyed). Each works on a connection of its own, so a slow delete holds up
// nothing but itself.
core::Workers StartHousekeeping(const ServiceSettings& settings, std::vector<db::RetentionSweep> more = {});

// The HTTP server options of a broker service: `service` as its label, listening where `settings`
// say with `settings.workers` workers and their queue's bounds, holding at most `max_connections`
// connections.
http::ServerOptions ServerOptionsFor(const ServiceSettings& settings, std::string service,
                                     std::size_t max_connections);

// The tables the shared libraries own (outbox, inbox, idempotency keys), then the service's own
// `migrations`: what a broker service applies at start-up (service::MigrateWithRetry).
std::vector<db::Schema> StandardSchemas(const std::vector<db::Migration>& migrations);

// /readyz checks, both required: "database" (DatabaseReadiness, as `service`-readiness) and
// "broker" (an AMQP handshake).
http::ReadinessChecks StandardReadiness(const std::string& database_url, const std::string& service,
                                        const messaging::AmqpSettings& amqp);

}  // namespace kpo::service
