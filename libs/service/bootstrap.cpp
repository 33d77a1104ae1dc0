#include "service/bootstrap.hpp"

#include <tuple>

#include "idempotency/idempotency.hpp"
#include "messaging/broker_urls.hpp"
#include "messaging/inbox.hpp"

namespace kpo::service {

ServiceSettings ReadServiceSettings(core::Config& config, const std::string& prefix, const std::string& name,
                                    const std::string& default_listen,
                                    const std::string& default_database_url, int default_workers) {
  ServiceSettings settings;
  std::tie(settings.host, settings.port) =
      core::ParseListenAddress(config.String(prefix + "_LISTEN", default_listen));
  settings.database_url = config.String(prefix + "_DATABASE_URL", default_database_url);
  // A service may connect as its own broker user (<PREFIX>_RABBITMQ_URL), allowed only its own
  // exchanges and queues; otherwise all share RABBITMQ_URL. One URL, or the nodes of a cluster
  // comma-separated; refused at start when it names none or one that is not an AMQP URL.
  settings.amqp.url = config.String(prefix + "_RABBITMQ_URL",
                                    config.String("RABBITMQ_URL", "amqp://kpo:kpo@localhost:5672/"));
  messaging::SplitBrokerUrls(settings.amqp.url);
  settings.amqp.connection_name = name;
  settings.pool_size = static_cast<std::size_t>(config.Int(prefix + "_DB_POOL_SIZE", 16, 1, 1000));
  settings.io_threads = static_cast<int>(config.Int(prefix + "_IO_THREADS", 2, 1, 64));
  settings.io_nice = static_cast<int>(config.Int(prefix + "_IO_NICE", settings.io_nice, -20, 19));
  settings.workers = static_cast<int>(config.Int(prefix + "_HTTP_WORKERS", default_workers, 1, 256));
  settings.max_queued = static_cast<std::size_t>(config.Int(prefix + "_HTTP_MAX_QUEUE", 512, 0, 100'000));
  settings.queue.target = config.Millis(prefix + "_HTTP_QUEUE_TARGET_MS", settings.queue.target);
  settings.queue.interval = config.Millis(prefix + "_HTTP_QUEUE_INTERVAL_MS", settings.queue.interval,
                                          std::chrono::milliseconds(10));
  settings.queue.max_wait = config.Millis(prefix + "_HTTP_MAX_QUEUE_WAIT_MS", settings.queue.max_wait);
  settings.prefetch =
      static_cast<std::uint16_t>(config.Int(prefix + "_CONSUMER_PREFETCH", settings.prefetch, 1, 65535));
  settings.consumer_batch = static_cast<std::size_t>(
      config.Int(prefix + "_CONSUMER_BATCH", settings.prefetch, 1, settings.prefetch));
  settings.relays = static_cast<int>(config.Int(prefix + "_RELAYS", 2, 1, 8));
  settings.consumers = static_cast<int>(config.Int(prefix + "_CONSUMERS", 2, 1, 8));
  settings.consumer_priority = config.Bool(prefix + "_CONSUMER_PRIORITY", true);
  settings.relay.database_url = settings.database_url;
  settings.relay.application_name = name + "-relay";
  settings.relay.amqp = settings.amqp;
  settings.relay.amqp.connection_name = name + "-relay";
  settings.relay.batch_size = static_cast<std::size_t>(config.Int(prefix + "_RELAY_BATCH", 200, 1, 10000));
  settings.relay.poll_interval =
      config.Millis(prefix + "_RELAY_POLL_MS", std::chrono::milliseconds(200), std::chrono::milliseconds(10));
  settings.relay.vacuum_interval = config.Millis(prefix + "_RELAY_VACUUM_MS", settings.relay.vacuum_interval);
  if (config.Bool(prefix + "_RELAY_WAKEUP", true))
    settings.relay.handoff = std::make_shared<messaging::OutboxHandoff>();
  settings.relay.orphan_age = config.Millis(prefix + "_RELAY_ORPHAN_AGE_MS", settings.relay.orphan_age);
  settings.relay.crash_after_confirm =
      config.String("KPO_FAILPOINTS", "").find("relay_crash_after_confirm") != std::string::npos;
  settings.inbox_sweep = messaging::InboxSweep(
      std::chrono::hours(config.Int(prefix + "_INBOX_RETENTION_H", 24LL * 7, 1, 24LL * 365)));
  settings.inbox_sweep.database_url = settings.database_url;
  settings.idempotency_sweep = idempotency::KeySweep();
  settings.idempotency_sweep.database_url = settings.database_url;
  settings.statistics.database_url = settings.database_url;
  settings.statistics.every = config.Millis(prefix + "_ANALYZE_MS", settings.statistics.every);
  return settings;
}

core::Workers StartWorkers(const std::string& name, int count,
                           const std::function<void(std::stop_token)>& work) {
  core::Workers workers;
  for (int i = 0; i < count; ++i) workers.Start(name + "-" + std::to_string(i), work);
  return workers;
}

core::Workers StartRelays(const ServiceSettings& settings) {
  // Each thread relays with a copy of the options; the copies share the wake-up.
  return StartWorkers("relay", settings.relays, [relay = settings.relay](std::stop_token stop) {
    messaging::OutboxRelay(relay).Run(stop);
  });
}

core::Workers StartConsumers(const ServiceSettings& settings, const messaging::QueueSpec& queue,
                             BatchHandler handle) {
  core::Workers threads;
  for (int i = 0; i < settings.consumers; ++i) {
    const int priority = settings.consumer_priority && i == 0 ? 1 : 0;
    threads.Start("consumer-" + std::to_string(i), [amqp = settings.amqp, queue, prefetch = settings.prefetch,
                                                    max_batch = settings.consumer_batch, handle,
                                                    priority](std::stop_token stop) {
      messaging::Consumer(amqp, queue, prefetch, max_batch, priority)
          .RunBatches([&](const std::vector<messaging::Delivery>& batch) { return handle(batch, stop); },
                      stop);
    });
  }
  return threads;
}

core::Workers StartHousekeeping(const ServiceSettings& settings, std::vector<db::RetentionSweep> more) {
  core::Workers threads;
  more.insert(more.begin(), {settings.inbox_sweep, settings.idempotency_sweep});
  for (auto& sweep : more) {
    if (sweep.database_url.empty()) sweep.database_url = settings.database_url;
    // Named by the table's last word (sweep-inbox, sweep-keys, sweep-events): a thread's name holds
    // 15 characters.
    const auto last_word = sweep.table.substr(sweep.table.rfind('_') + 1);
    threads.Start("sweep-" + last_word,
                  [sweep](std::stop_token stop) { db::RunRetentionSweep(sweep, std::move(stop)); });
  }
  if (settings.statistics.every.count() > 0) {
    threads.Start("analyze", [keeper = settings.statistics](std::stop_token stop) {
      db::RunStatisticsKeeper(keeper, std::move(stop));
    });
  }
  return threads;
}

http::ServerOptions ServerOptionsFor(const ServiceSettings& settings, std::string service,
                                     std::size_t max_connections) {
  return {.service = std::move(service),
          .host = settings.host,
          .port = settings.port,
          .threads = settings.io_threads,
          .io_nice = settings.io_nice,
          .workers = settings.workers,
          .max_queued = settings.max_queued,
          .queue = settings.queue,
          .header_limit = http::kBehindProxyHeaderLimit,
          .max_header_count = http::kBehindProxyHeaderCount,
          .max_connections = max_connections};
}

std::vector<db::Schema> StandardSchemas(const std::vector<db::Migration>& migrations) {
  return {messaging::OutboxSchema(), messaging::InboxSchema(), idempotency::IdempotencySchema(),
          db::ServiceSchema(migrations)};
}

http::ReadinessChecks StandardReadiness(const std::string& database_url, const std::string& service,
                                        const messaging::AmqpSettings& amqp) {
  messaging::AmqpSettings probe = amqp;
  probe.timeout = http::kReadinessCheckDeadline;
  probe.connection_name += "-readiness";
  return {
      DatabaseReadiness(database_url, service + "-readiness"),
      // Required, as the contract says (database and broker reachable). An orchestrator that should
      // keep the replicas in service through a broker outage probes /readyz?exclude=broker: they
      // still answer reads, deposits and (until admission's bound) new orders, which the outbox
      // keeps, and the broker is shared by every replica, so taking them all out helps nobody.
      {"broker", [probe] { return messaging::Connection(probe), true; }},
  };
}

}  // namespace kpo::service
