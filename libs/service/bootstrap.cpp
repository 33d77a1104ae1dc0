#include "service/bootstrap.hpp"

#include <spdlog/spdlog.h>

#include <thread>

namespace kpo::service {

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
