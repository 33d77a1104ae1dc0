#include "db/migrations.hpp"

#include <spdlog/spdlog.h>

namespace kpo::db {
namespace {

constexpr std::string_view kCreateTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
))sql";
constexpr std::string_view kLock = "SELECT pg_advisory_lock(hashtextextended($1, 0))";
constexpr std::string_view kUnlock = "SELECT pg_advisory_unlock(hashtextextended($1, 0))";
constexpr std::string_view kApplied = "SELECT 1 FROM schema_migrations WHERE version = $1";
constexpr std::string_view kRecord = "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)";

}  // namespace

int Migrate(Connection& connection, const std::vector<Migration>& migrations, const std::string& lock_name) {
  connection.Exec(kLock, {lock_name});
  int applied = 0;
  try {
    connection.ExecScript(kCreateTable);
    for (const auto& migration : migrations) {
      if (!connection.Exec(kApplied, {std::to_string(migration.version)}).Empty()) continue;
      Transaction tx(connection);
      tx.Conn().ExecScript(migration.sql);
      tx.Exec(kRecord, {std::to_string(migration.version), migration.name});
      tx.Commit();
      spdlog::info("applied migration {}", migration.name);
      ++applied;
    }
  } catch (const DbError&) {
    // Release the lock before propagating so another replica can try; the connection may be
    // broken, in which case the server releases the session lock anyway.
    if (connection.Healthy()) connection.Exec(kUnlock, {lock_name});
    throw;
  }
  connection.Exec(kUnlock, {lock_name});
  return applied;
}

}  // namespace kpo::db
