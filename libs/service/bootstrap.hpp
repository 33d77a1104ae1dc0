#pragma once
// Start-up steps every service shares.
#include <string>
#include <utility>
#include <vector>

#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "http/router.hpp"
#include "messaging/amqp.hpp"

namespace kpo::service {

// Applies `migrations`, waiting (with backoff, up to `attempts` tries) for PostgreSQL to accept
// connections: services may start before the database. Throws the last error when it never does.
void MigrateWithRetry(const std::string& database_url, const std::vector<db::Migration>& migrations,
                      const std::string& lock_name, int attempts = 30);

// /readyz checks: "database" (a pooled SELECT 1) and "broker" (an AMQP handshake).
std::vector<std::pair<std::string, http::ReadinessCheck>> StandardReadiness(
    db::Pool& pool, const messaging::AmqpSettings& amqp);

}  // namespace kpo::service
