// The orders service: wiring only.
#include <spdlog/spdlog.h>

#include <thread>

#include "core/config.hpp"
#include "core/limits.hpp"
#include "core/log.hpp"
#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "http/server.hpp"
#include "messaging/outbox.hpp"
#include "orders/app/admission.hpp"
#include "orders/handlers/handlers.hpp"
#include "orders/live/live_updates.hpp"
#include "orders/messaging/events.hpp"
#include "orders/messaging/payment_result_consumer.hpp"
#include "orders/storage/order_repository.hpp"
#include "service/bootstrap.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& orders_app_migrations();
}

int main() {
  using namespace kpo;
  core::Config config;
  core::InitLogging("orders", config.String("LOG_LEVEL", "info"));
  const auto open_files = core::RaiseOpenFileLimit();
  // The edge of the process: a configuration or start-up failure is logged and exits non-zero.
  try {
    auto settings = service::ReadServiceSettings(config, "ORDERS", "orders", "127.0.0.1:5001",
                                                 "postgresql://kpo:kpo@localhost:5432/orders");
    const auto& database_url = settings.database_url;
    const auto& amqp = settings.amqp;
    auto& relay = settings.relay;
    relay.exchanges = {orders::kOrdersExchange};
    relay.on_published = [](db::Transaction& tx, const std::vector<messaging::Message>& published,
                            const std::string& sent_at) {
      std::vector<std::string> order_ids;
      for (const auto& message : published) order_ids.push_back(message.correlation_id);
      orders::OrderRepository::RecordPublished(tx, order_ids, sent_at);
    };
    orders::LiveUpdatesOptions live_options{
        .database_url = database_url,
        .poll_interval = config.Millis("ORDERS_LIVE_POLL_MS", std::chrono::milliseconds(100)),
        .heartbeat = config.Millis("ORDERS_SSE_HEARTBEAT_MS", std::chrono::milliseconds(15000)),
        .retention =
            std::chrono::seconds(config.Int("ORDERS_EVENTS_RETENTION_S", 3600, 60, 30LL * 24 * 3600))};
    orders::AdmissionOptions admission_options{
        .database_url = database_url,
        .max_lag = config.Millis("ORDERS_BACKPRESSURE_MAX_LAG_MS", std::chrono::milliseconds(1000)),
        .target_lag = config.Millis("ORDERS_BACKPRESSURE_TARGET_LAG_MS", std::chrono::milliseconds(250))};
    config.LogEffective("orders");

    service::MigrateWithRetry(database_url, service::StandardSchemas(generated::orders_app_migrations()),
                              "orders-migrations");
    db::Pool pool(database_url, settings.pool_size, {.application_name = "orders"});
    // The consumer's own connections: under HTTP load the request handlers may hold every pooled
    // connection, and the consumer must keep finishing work all the same.
    db::Pool consumer_pool(database_url, static_cast<std::size_t>(settings.consumers) + 1,
                           {.application_name = "orders-consumer"});
    orders::Admission admission(admission_options);
    const orders::OrderServices services{pool, admission, relay.wakeup.get()};

    http::Router router;
    router.SetErrorMapper(service::UnavailableWhenTheDatabaseIs());
    router.Add("POST", "/api/orders", [&](http::Request& r) { return orders::CreateOrder(services, r); });
    router.Add("GET", "/api/orders", [&](http::Request& r) { return orders::ListOrders(pool, r); });
    router.Add("GET", "/api/orders/{id}", [&](http::Request& r) { return orders::GetOrder(pool, r); });
    orders::LiveUpdates live(live_options);
    router.Add("GET", "/api/events", [&](http::Request& r) { return orders::StreamEvents(pool, live, r); });
    http::AddOperationalRoutes(router, service::StandardReadiness(pool, amqp));

    // A connection is one descriptor; the rest is for the database pools, the live-updates poller and
    // the broker.
    const auto max_connections = core::ConnectionsWithin(open_files, 1, 256);
    http::Server server({.service = "orders",
                         .host = settings.host,
                         .port = settings.port,
                         .workers = settings.workers,
                         .max_connections = max_connections},
                        router);
    server.Listen();
    std::jthread live_thread([&](std::stop_token stop) { live.Run(stop); });
    std::jthread admission_thread([&](std::stop_token stop) { admission.Run(stop); });
    auto relays = service::StartWorkers(
        settings.relays, [&](std::stop_token stop) { messaging::OutboxRelay(relay).Run(stop); });
    auto consumers = service::StartWorkers(settings.consumers, [&](std::stop_token stop) {
      messaging::Consumer(amqp, orders::PaymentResultsQueue(), settings.prefetch, settings.consumer_batch)
          .RunBatches(
              [&](const std::vector<messaging::Delivery>& batch) {
                return orders::HandlePaymentResults(consumer_pool, batch, stop);
              },
              stop);
    });
    server.Run();
    spdlog::info("orders: stopping workers");
  } catch (const std::exception& error) {
    spdlog::critical("orders failed: {}", error.what());
    return 1;
  }
  return 0;
}
