#include "orders/settings.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "contract/events.hpp"
#include "orders/storage/order_repository.hpp"

namespace kpo::orders {
namespace {

service::ServiceSettings ReadServiceSettings(core::Config& config) {
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
    OrderRepository::RecordPublished(tx, order_ids, sent_at);
  };
  return settings;
}

LiveUpdatesOptions ReadLiveUpdatesOptions(core::Config& config, const std::string& database_url) {
  return {.database_url = database_url,
          .poll_interval = config.Millis("ORDERS_LIVE_POLL_MS", std::chrono::milliseconds(100),
                                         std::chrono::milliseconds(10)),
          .heartbeat = config.Millis("ORDERS_SSE_HEARTBEAT_MS", std::chrono::milliseconds(15000),
                                     std::chrono::milliseconds(100)),
          .max_streams_per_user =
              static_cast<std::size_t>(config.Int("ORDERS_SSE_MAX_STREAMS_PER_USER", 0, 0, 100'000))};
}

AdmissionOptions ReadAdmissionOptions(core::Config& config, const std::string& database_url) {
  return {
      .database_url = database_url,
      .bounds = {.max_lag = config.Millis("ORDERS_BACKPRESSURE_MAX_LAG_MS", std::chrono::milliseconds(1000)),
                 .max_pending = config.Int("ORDERS_BACKPRESSURE_MAX_PENDING", 1000, 0, 1'000'000)},
      .max_in_flight = static_cast<int>(config.Int("ORDERS_MAX_IN_FLIGHT", 96, 0, 100'000)),
      .check_every = config.Millis("ORDERS_BACKPRESSURE_CHECK_MS", std::chrono::milliseconds(100),
                                   std::chrono::milliseconds(10)),
      .window = std::chrono::seconds(config.Int("ORDERS_BACKPRESSURE_WINDOW_S", 30, 1, 86'400))};
}

OrderIntakeOptions ReadIntakeOptions(core::Config& config) {
  return {.max_batch = static_cast<std::size_t>(config.Int("ORDERS_INTAKE_MAX_BATCH", 64, 1, 1000)),
          .max_writers = static_cast<int>(config.Int("ORDERS_INTAKE_WRITERS", 2, 1, 64)),
          .max_wait = config.Millis("ORDERS_INTAKE_MAX_WAIT_MS", std::chrono::milliseconds(3000))};
}

}  // namespace

OrdersSettings ReadOrdersSettings(core::Config& config) {
  OrdersSettings settings;
  settings.service = ReadServiceSettings(config);
  const auto& database_url = settings.service.database_url;
  settings.live = ReadLiveUpdatesOptions(config, database_url);
  settings.admission = ReadAdmissionOptions(config, database_url);
  settings.intake = ReadIntakeOptions(config);
  settings.event_sweep = OrderEventSweep(
      std::chrono::seconds(config.Int("ORDERS_EVENTS_RETENTION_S", 3600, 60, 30LL * 24 * 3600)));
  return settings;
}

}  // namespace kpo::orders
