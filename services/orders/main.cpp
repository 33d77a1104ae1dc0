// The orders service: wiring only.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "core/config.hpp"
#include "core/limits.hpp"
#include "core/process.hpp"
#include "core/workers.hpp"
#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "http/operational.hpp"
#include "http/server.hpp"
#include "messaging/outbox.hpp"
#include "orders/app/admission.hpp"
#include "orders/app/order_intake.hpp"
#include "orders/handlers/handlers.hpp"
#include "orders/live/live_updates.hpp"
#include "orders/messaging/events.hpp"
#include "orders/messaging/payment_result_consumer.hpp"
#include "orders/settings.hpp"
#include "service/bootstrap.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& orders_app_migrations();
}

namespace {

using namespace kpo;

void AddOrderRoutes(http::Router& router, const orders::OrderServices& services, orders::Admission& admission,
                    orders::LiveUpdates& live) {
  db::Pool& pool = services.pool;
  router.AddAsync(
      "POST", "/api/orders", [&services](http::Request& r) { return orders::CreateOrder(services, r); },
      http::BodyTypes::kJson, [&admission] { return orders::AdmitOrRefuse(admission); });
  router.Add("GET", "/api/orders", [&pool](http::Request& r) { return orders::ListOrders(pool, r); });
  router.Add("GET", "/api/orders/{id}", [&pool](http::Request& r) { return orders::GetOrder(pool, r); });
  router.Add("GET", "/api/events",
             [&pool, &live](http::Request& r) { return orders::StreamEvents(pool, live, r); });
}

// Migrates the database, then serves the API, live updates, admission, the outbox relays and the
// payment-result consumers until SIGINT or SIGTERM.
void Serve(core::Config& config, const core::OpenFileLimit& open_files) {
  const auto orders_settings = orders::ReadOrdersSettings(config);
  const auto& settings = orders_settings.service;
  const auto& database_url = settings.database_url;
  config.LogEffective("orders");

  service::MigrateWithRetry(database_url, service::StandardSchemas(generated::orders_app_migrations()),
                            "orders-migrations");
  db::Pool pool(database_url, settings.pool_size, {.application_name = "orders"});
  // The consumer's own connections: under HTTP load the request handlers may hold every pooled
  // connection, and the consumer must keep finishing work all the same.
  db::Pool consumer_pool(database_url, static_cast<std::size_t>(settings.consumers) + 1,
                         {.application_name = "orders-consumer"});
  orders::Admission admission(orders_settings.admission);
  // A batch's commit hands its events to the relays, which publish them now instead of at a poll.
  orders::OrderIntake intake(pool, orders_settings.intake, settings.relay.handoff.get());
  const orders::OrderServices services{pool, intake};

  http::Router router;
  router.SetErrorMapper(service::UnavailableWhenTheDatabaseIs());
  orders::LiveUpdates live(orders_settings.live);
  // The poller's first round, before any stream is served: a stream opened earlier could be sent,
  // by its replay, events past the point the poller would start from, and miss the ones between.
  live.Poll(*pool.Acquire());
  AddOrderRoutes(router, services, admission, live);
  http::AddOperationalRoutes(router, service::StandardReadiness(database_url, "orders", settings.amqp));

  // A connection is one descriptor; the rest is for the database pools, the live-updates poller and
  // the broker.
  http::Server server(
      service::ServerOptionsFor(settings, "orders", core::ConnectionsWithin(open_files, 1, 256)), router);
  server.Listen();
  core::Workers pollers;  // live updates and admission, each reading the database on its own connection
  pollers.Start("live-updates", [&](std::stop_token stop) { live.Run(stop); });
  pollers.Start("admission", [&](std::stop_token stop) { admission.Run(stop); });
  auto relays = service::StartRelays(settings);
  orders::RegisterSettlementMetrics();
  auto consumers =
      service::StartConsumers(settings, orders::PaymentResultsQueue(),
                              [&](const std::vector<messaging::Delivery>& batch, std::stop_token stop) {
                                return orders::HandlePaymentResults(consumer_pool, batch, std::move(stop));
                              });
  auto housekeeping = service::StartHousekeeping(settings, {orders_settings.event_sweep});
  server.Run();
  // Before the server's loops go: the orders handed in are written, and their answers posted to the
  // loops (which no longer run) rather than to loops already destroyed.
  intake.Stop();
  spdlog::info("orders: stopping workers");
  // All at once: each finishes its batch meanwhile, and the slowest sets the time it takes.
  consumers.RequestStop();
  relays.RequestStop();
  housekeeping.RequestStop();
  pollers.RequestStop();
}

}  // namespace

int main() { return kpo::core::RunService("orders", Serve); }
