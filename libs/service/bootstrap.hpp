#pragma once
// Start-up steps every service shares.
#include <functional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "http/router.hpp"
#include "messaging/amqp.hpp"
#include "messaging/outbox.hpp"

namespace kpo::service {

// The settings every database + broker service reads, named <PREFIX>_LISTEN, <PREFIX>_DATABASE_URL,
// <PREFIX>_DB_POOL_SIZE, <PREFIX>_HTTP_WORKERS, <PREFIX>_CONSUMER_PREFETCH, <PREFIX>_RELAY_BATCH,
// <PREFIX>_CONSUMER_BATCH, <PREFIX>_CONSUMERS, <PREFIX>_RELAYS, <PREFIX>_RELAY_POLL_MS,
// <PREFIX>_RELAY_WAKEUP, plus RABBITMQ_URL and KPO_FAILPOINTS. Throws std::invalid_argument for a malformed
// value.
struct ServiceSettings {
  std::string host;
  std::uint16_t port = 0;
  std::string database_url;
  messaging::AmqpSettings amqp;
  std::size_t pool_size = 16;
  int workers = 16;
  std::uint16_t prefetch = 32;
  std::size_t consumer_batch = 32;  // deliveries applied in one transaction (1..prefetch)
  // Relay and consumer threads. Two of each overlap one's broker confirm or commit with the
  // other's work (rows and deliveries are claimed so that they never do the same work twice).
  int relays = 2;
  int consumers = 2;
  // Database, broker, batch, poll and wake-up filled in; relay.wakeup is null when the wake-up is
  // off (<PREFIX>_RELAY_WAKEUP=false: the relay only polls).
  messaging::RelayOptions relay;
};
ServiceSettings ReadServiceSettings(core::Config& config, const std::string& prefix, const std::string& name,
                                    const std::string& default_listen,
                                    const std::string& default_database_url);

// Starts `count` threads running `work` until they are asked to stop (when the vector is destroyed).
std::vector<std::jthread> StartWorkers(int count, const std::function<void(std::stop_token)>& work);

// Applies `migrations`, waiting (with backoff, up to `attempts` tries) for PostgreSQL to accept
// connections: services may start before the database. Throws the last error when it never does.
void MigrateWithRetry(const std::string& database_url, const std::vector<db::Migration>& migrations,
                      const std::string& lock_name, int attempts = 30);

// Answers 503 with Retry-After (problem+json) for a request that failed because the database was
// unavailable (see db::DbError::IsUnavailable) or too slow (statement or lock timeout), instead
// of a 500: the client did nothing wrong and may try again shortly.
http::Router::ErrorMapper UnavailableWhenTheDatabaseIs();

// /readyz checks: "database" (a pooled SELECT 1) and "broker" (an AMQP handshake).
std::vector<std::pair<std::string, http::ReadinessCheck>> StandardReadiness(
    db::Pool& pool, const messaging::AmqpSettings& amqp);

}  // namespace kpo::service
