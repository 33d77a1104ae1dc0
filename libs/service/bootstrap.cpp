#include "service/bootstrap.hpp"

#include <spdlog/spdlog.h>

#include <thread>
#include <tuple>

#include "http/problem.hpp"

namespace kpo::service {

ServiceSettings ReadServiceSettings(core::Config& config, const std::string& prefix, const std::string& name,
                                    const std::string& default_listen,
                                    const std::string& default_database_url) {
  ServiceSettings settings;
  std::tie(settings.host, settings.port) =
      core::ParseListenAddress(config.String(prefix + "_LISTEN", default_listen));
  settings.database_url = config.String(prefix + "_DATABASE_URL", default_database_url);
  settings.amqp.url = config.String("RABBITMQ_URL", "amqp://kpo:kpo@localhost:5672/");
  settings.amqp.connection_name = name;
  settings.pool_size = static_cast<std::size_t>(config.Int(prefix + "_DB_POOL_SIZE", 16, 1, 1000));
  settings.workers = static_cast<int>(config.Int(prefix + "_HTTP_WORKERS", 16, 1, 256));
  settings.prefetch = static_cast<std::uint16_t>(config.Int(prefix + "_CONSUMER_PREFETCH", 32, 1, 65535));
  settings.consumer_batch = static_cast<std::size_t>(
      config.Int(prefix + "_CONSUMER_BATCH", settings.prefetch, 1, settings.prefetch));
  settings.relays = static_cast<int>(config.Int(prefix + "_RELAYS", 2, 1, 8));
  settings.consumers = static_cast<int>(config.Int(prefix + "_CONSUMERS", 2, 1, 8));
  settings.relay.database_url = settings.database_url;
  settings.relay.amqp = settings.amqp;
  settings.relay.amqp.connection_name = name + "-relay";
  settings.relay.batch_size = static_cast<std::size_t>(config.Int(prefix + "_RELAY_BATCH", 200, 1, 10000));
  settings.relay.poll_interval = config.Millis(prefix + "_RELAY_POLL_MS", std::chrono::milliseconds(200));
  if (config.Bool(prefix + "_RELAY_WAKEUP", true)) settings.relay.wakeup = std::make_shared<core::Wakeup>();
  settings.relay.crash_after_confirm =
      config.String("KPO_FAILPOINTS", "").find("relay_crash_after_confirm") != std::string::npos;
  return settings;
}

std::vector<std::jthread> StartWorkers(int count, const std::function<void(std::stop_token)>& work) {
  std::vector<std::jthread> workers;
  workers.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) workers.emplace_back(work);
  return workers;
}

void MigrateWithRetry(const std::string& database_url, const std::vector<db::Migration>& migrations,
                      const std::string& lock_name, int attempts) {
  auto backoff = std::chrono::milliseconds(200);
  for (int attempt = 1;; ++attempt) {
    try {
      db::Connection connection(database_url, {});
      const int applied = db::Migrate(connection, migrations, lock_name);
      spdlog::info("database schema up to date ({} migration(s) applied)", applied);
      return;
    } catch (const db::DbError& error) {
      if (attempt >= attempts) throw;
      spdlog::warn("database not ready ({}); retrying in {} ms", error.what(), backoff.count());
      // Start-up has nothing else to do meanwhile; this is a retry delay, not synchronisation.
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    }
  }
}

http::Router::ErrorMapper UnavailableWhenTheDatabaseIs() {
  return [](const std::exception& exception) -> std::optional<http::Response> {
    const auto* error = dynamic_cast<const db::DbError*>(&exception);
    // 57014: statement timeout; 55P03: lock timeout.
    if (error == nullptr ||
        !(error->IsUnavailable() || error->SqlState() == "57014" || error->SqlState() == "55P03"))
      return std::nullopt;
    spdlog::warn("answering 503: {}", error->what());
    return http::ProblemError(503, "The service is temporarily unavailable; try again shortly")
        .WithRetryAfter(1)
        .ToResponse();
  };
}

std::vector<std::pair<std::string, http::ReadinessCheck>> StandardReadiness(
    db::Pool& pool, const messaging::AmqpSettings& amqp) {
  messaging::AmqpSettings probe = amqp;
  probe.timeout = std::chrono::milliseconds(2000);
  probe.connection_name += "-readiness";
  return {
      {"database", [&pool] { return pool.Acquire()->Exec("SELECT 1 AS ok").Int(0, "ok") == 1; }},
      {"broker", [probe] { return messaging::Connection(probe), true; }},
  };
}

}  // namespace kpo::service
