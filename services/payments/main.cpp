// The payments service: wiring only.
#include <spdlog/spdlog.h>

#include <thread>

#include "core/config.hpp"
#include "core/log.hpp"
#include "db/pool.hpp"
#include "handlers/handlers.hpp"
#include "http/server.hpp"
#include "messaging/events.hpp"
#include "messaging/order_created_consumer.hpp"
#include "messaging/outbox.hpp"
#include "service/bootstrap.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& payments_app_migrations();
}

int main() {
  using namespace kpo;
  core::Config config;
  core::InitLogging("payments", config.String("LOG_LEVEL", "info"));
  // The edge of the process: a configuration or start-up failure is logged and exits non-zero.
  try {
    const auto [host, port] = core::ParseListenAddress(config.String("PAYMENTS_LISTEN", "0.0.0.0:5002"));
    const auto database_url =
        config.String("PAYMENTS_DATABASE_URL", "postgresql://kpo:kpo@localhost:5432/payments");
    messaging::AmqpSettings amqp;
    amqp.url = config.String("RABBITMQ_URL", "amqp://kpo:kpo@localhost:5672/");
    amqp.connection_name = "payments";
    const auto pool_size = config.Int("PAYMENTS_DB_POOL_SIZE", 16, 1, 1000);
    const auto threads = config.Int("PAYMENTS_HTTP_WORKERS", 16, 1, 256);
    const auto prefetch = config.Int("PAYMENTS_CONSUMER_PREFETCH", 32, 1, 65535);
    messaging::RelayOptions relay;
    relay.database_url = database_url;
    relay.amqp = amqp;
    relay.amqp.connection_name = "payments-relay";
    relay.batch_size = static_cast<std::size_t>(config.Int("PAYMENTS_RELAY_BATCH", 200, 1, 10000));
    relay.poll_interval = config.Millis("PAYMENTS_RELAY_POLL_MS", std::chrono::milliseconds(1000));
    relay.exchanges = {payments::kPaymentsExchange};
    config.LogEffective("payments");

    service::MigrateWithRetry(database_url, generated::payments_app_migrations(), "payments-migrations");
    db::Pool pool(database_url, static_cast<std::size_t>(pool_size), {.application_name = "payments"});

    http::Router router;
    router.Add("POST", "/api/accounts", [&](http::Request& r) { return payments::CreateAccount(pool, r); });
    router.Add("GET", "/api/accounts/me", [&](http::Request& r) { return payments::GetAccount(pool, r); });
    router.Add("POST", "/api/accounts/me/deposits",
               [&](http::Request& r) { return payments::Deposit(pool, r); });
    router.Add("GET", "/api/accounts/me/entries",
               [&](http::Request& r) { return payments::ListEntries(pool, r); });
    http::AddOperationalRoutes(router, service::StandardReadiness(pool, amqp));

    http::Server server(
        {.service = "payments", .host = host, .port = port, .workers = static_cast<int>(threads)}, router);
    server.Listen();
    std::jthread relay_thread([&](std::stop_token stop) { messaging::OutboxRelay(relay).Run(stop); });
    std::jthread consumer_thread([&](std::stop_token stop) {
      messaging::Consumer(amqp, payments::OrderCreatedQueue(), static_cast<std::uint16_t>(prefetch))
          .Run([&](const messaging::Delivery& d) { return payments::HandleOrderCreated(pool, d, stop); },
               stop);
    });
    server.Run();
    spdlog::info("payments: stopping workers");
  } catch (const std::exception& error) {
    spdlog::critical("payments failed: {}", error.what());
    return 1;
  }
  return 0;
}
