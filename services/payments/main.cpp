// The payments service: wiring only.
#include <spdlog/spdlog.h>

#include <thread>

#include "core/config.hpp"
#include "core/limits.hpp"
#include "core/process.hpp"
#include "db/pool.hpp"
#include "http/operational.hpp"
#include "http/server.hpp"
#include "payments/handlers/handlers.hpp"
#include "payments/messaging/events.hpp"
#include "payments/messaging/order_created_consumer.hpp"
#include "payments/settings.hpp"
#include "service/bootstrap.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& payments_app_migrations();
}

namespace {

using namespace kpo;

void AddAccountRoutes(http::Router& router, db::Pool& pool) {
  router.Add("POST", "/api/accounts", [&](http::Request& r) { return payments::CreateAccount(pool, r); });
  router.Add("GET", "/api/accounts/me", [&](http::Request& r) { return payments::GetAccount(pool, r); });
  router.Add("POST", "/api/accounts/me/deposits",
             [&](http::Request& r) { return payments::Deposit(pool, r); });
  router.Add("GET", "/api/accounts/me/entries",
             [&](http::Request& r) { return payments::ListEntries(pool, r); });
}

// Migrates the database, then serves the API, the outbox relays and the order consumers until
// SIGINT or SIGTERM.
void Serve(core::Config& config, const core::OpenFileLimit& open_files) {
  const auto settings = payments::ReadPaymentsSettings(config);
  const auto& database_url = settings.database_url;
  config.LogEffective("payments");

  service::MigrateWithRetry(database_url, service::StandardSchemas(generated::payments_app_migrations()),
                            "payments-migrations");
  db::Pool pool(database_url, settings.pool_size, {.application_name = "payments"});
  // The consumer's own connections: under HTTP load the request handlers may hold every pooled
  // connection, and the consumer must keep finishing work all the same.
  db::Pool consumer_pool(database_url, static_cast<std::size_t>(settings.consumers) + 1,
                         {.application_name = "payments-consumer"});

  http::Router router;
  router.SetErrorMapper(service::UnavailableWhenTheDatabaseIs());
  AddAccountRoutes(router, pool);
  http::AddOperationalRoutes(router, service::StandardReadiness(database_url, "payments", settings.amqp));

  // A connection is one descriptor; the rest is for the database pool and the broker.
  http::Server server(
      service::ServerOptionsFor(settings, "payments", core::ConnectionsWithin(open_files, 1, 256)), router);
  server.Listen();
  auto relays = service::StartRelays(settings);
  auto consumers =
      service::StartConsumers(settings, payments::OrderCreatedQueue(),
                              [&](const std::vector<messaging::Delivery>& batch, std::stop_token stop) {
                                return payments::HandleOrderCreated(
                                    consumer_pool, batch, settings.relay.handoff.get(), std::move(stop));
                              });
  auto housekeeping = service::StartHousekeeping(settings);
  server.Run();
  spdlog::info("payments: stopping workers");
  // All at once: each finishes its batch meanwhile, and the slowest sets the time it takes.
  consumers.RequestStop();
  relays.RequestStop();
  housekeeping.RequestStop();
}

}  // namespace

int main() { return kpo::core::RunService("payments", Serve); }
