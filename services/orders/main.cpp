// The orders service: wiring only.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "contract/events.hpp"
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
#include "orders/storage/order_repository.hpp"
#include "service/bootstrap.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& orders_app_migrations();
}

namespace {

using namespace kpo;

// The shared settings, with a relay that publishes orders' events and records when each order's
// event left (the timeline's `published` step).
service::ServiceSettings ReadSettings(core::Config& config) {
  // The workers run the reads (new orders wait in the intake without one): 12 over 16 pooled
  // connections leave one for each of the intake's writers however many reads run.
  auto settings = service::ReadServiceSettings(config, "ORDERS", "orders", "127.0.0.1:5001",
                                               "postgresql://kpo:kpo@localhost:5432/orders", 12);
  settings.relay.exchanges = {std::string(contract::kOrdersExchange)};
  // The relay records the "published" step as it deletes the rows: deleting later would often leave
  // an order Finished, its live update sent, before the step is there (the contract's timeline has it).
  settings.relay.delete_delay = config.Millis("ORDERS_RELAY_DELETE_DELAY_MS", std::chrono::milliseconds(0));
  settings.relay.on_published = [](db::Transaction& tx,
                                   const std::vector<messaging::PublishedMessage>& published) {
    std::vector<std::string> order_ids;
    std::vector<std::string> sent_at;
    for (const auto& each : published) {
      order_ids.push_back(each.message.correlation_id);
      sent_at.push_back(each.sent_at);
    }
    orders::OrderRepository::RecordPublished(tx, order_ids, sent_at);
  };
  return settings;
}

orders::LiveUpdatesOptions ReadLiveUpdatesOptions(core::Config& config, const std::string& database_url) {
  return {.database_url = database_url,
          .poll_interval = config.Millis("ORDERS_LIVE_POLL_MS", std::chrono::milliseconds(100),
                                         std::chrono::milliseconds(10)),
          .heartbeat = config.Millis("ORDERS_SSE_HEARTBEAT_MS", std::chrono::milliseconds(15000),
                                     std::chrono::milliseconds(100)),
          .max_streams_per_user =
              static_cast<std::size_t>(config.Int("ORDERS_SSE_MAX_STREAMS_PER_USER", 0, 0, 100'000))};
}

// Change events are kept this long for resuming streams, then swept.
db::RetentionSweep ReadEventSweep(core::Config& config) {
  return orders::OrderEventSweep(
      std::chrono::seconds(config.Int("ORDERS_EVENTS_RETENTION_S", 3600, 60, 30LL * 24 * 3600)));
}

orders::AdmissionOptions ReadAdmissionOptions(core::Config& config, const std::string& database_url) {
  return {
      .database_url = database_url,
      .bounds = {.max_lag = config.Millis("ORDERS_BACKPRESSURE_MAX_LAG_MS", std::chrono::milliseconds(1000)),
                 .max_pending = config.Int("ORDERS_BACKPRESSURE_MAX_PENDING", 1000, 0, 1'000'000)},
      .max_in_flight = static_cast<int>(config.Int("ORDERS_MAX_IN_FLIGHT", 96, 0, 100'000)),
      .check_every = config.Millis("ORDERS_BACKPRESSURE_CHECK_MS", std::chrono::milliseconds(100),
                                   std::chrono::milliseconds(10)),
      .window = std::chrono::seconds(config.Int("ORDERS_BACKPRESSURE_WINDOW_S", 30, 1, 86'400))};
}

orders::OrderIntakeOptions ReadIntakeOptions(core::Config& config) {
  return {.max_batch = static_cast<std::size_t>(config.Int("ORDERS_INTAKE_MAX_BATCH", 64, 1, 1000)),
          .max_writers = static_cast<int>(config.Int("ORDERS_INTAKE_WRITERS", 2, 1, 64))};
}

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
  const auto settings = ReadSettings(config);
  const auto& database_url = settings.database_url;
  const auto live_options = ReadLiveUpdatesOptions(config, database_url);
  const auto admission_options = ReadAdmissionOptions(config, database_url);
  const auto intake_options = ReadIntakeOptions(config);
  const auto event_sweep = ReadEventSweep(config);
  config.LogEffective("orders");

  service::MigrateWithRetry(database_url, service::StandardSchemas(generated::orders_app_migrations()),
                            "orders-migrations");
  db::Pool pool(database_url, settings.pool_size, {.application_name = "orders"});
  // The consumer's own connections: under HTTP load the request handlers may hold every pooled
  // connection, and the consumer must keep finishing work all the same.
  db::Pool consumer_pool(database_url, static_cast<std::size_t>(settings.consumers) + 1,
                         {.application_name = "orders-consumer"});
  orders::Admission admission(admission_options);
  // A batch's commit hands its events to the relays, which publish them now instead of at a poll.
  orders::OrderIntake intake(pool, intake_options, settings.relay.handoff.get());
  const orders::OrderServices services{pool, intake};

  http::Router router;
  router.SetErrorMapper(service::UnavailableWhenTheDatabaseIs());
  orders::LiveUpdates live(live_options);
  // The poller's first round, before any stream is served: a stream opened earlier could be sent,
  // by its replay, events past the point the poller would start from, and miss the ones between.
  live.Poll(*pool.Acquire());
  AddOrderRoutes(router, services, admission, live);
  http::AddOperationalRoutes(router, service::StandardReadiness(pool, settings.amqp));

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
  auto housekeeping = service::StartHousekeeping(settings, {event_sweep});
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
