#include "db/migrations.hpp"

#include <spdlog/spdlog.h>

namespace kpo::db {
namespace {

constexpr std::string_view kCreateTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  component  text NOT NULL DEFAULT 'service',
  version    integer NOT NULL,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (component, version)
))sql";
// A table created before components (version PRIMARY KEY) records only the service's own
// migrations: they get the column's default, and the key becomes (component, version) so that
// the libraries' version 1 does not collide with the service's.
constexpr std::string_view kAddComponent = R"sql(
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute
                 WHERE attrelid = 'schema_migrations'::regclass AND attname = 'component' AND NOT attisdropped) THEN
    ALTER TABLE schema_migrations ADD COLUMN component text NOT NULL DEFAULT 'service';
    ALTER TABLE schema_migrations DROP CONSTRAINT schema_migrations_pkey, ADD PRIMARY KEY (component, version);
  END IF;
END $$)sql";
constexpr std::string_view kLock = "SELECT pg_advisory_lock(hashtextextended($1, 0))";
constexpr std::string_view kUnlock = "SELECT pg_advisory_unlock(hashtextextended($1, 0))";
constexpr std::string_view kApplied = "SELECT 1 FROM schema_migrations WHERE component = $1 AND version = $2";
constexpr std::string_view kRecord =
    "INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)";

int Apply(Connection& connection, const Schema& schema) {
  int applied = 0;
  for (const auto& migration : schema.migrations) {
    const std::string version = std::to_string(migration.version);
    if (!connection.Exec(kApplied, {schema.component, version}).Empty()) continue;
    Transaction tx(connection);
    tx.Conn().ExecScript(migration.sql);
    tx.Exec(kRecord, {schema.component, version, migration.name});
    tx.Commit();
    spdlog::info("applied migration {} of {}", migration.name, schema.component);
    ++applied;
  }
  return applied;
}

}  // namespace

int Migrate(Connection& connection, const std::vector<Schema>& schemas, const std::string& lock_name) {
  // Another replica may hold the lock for a whole migration, which may take minutes: the wait is
  // bounded by the statement timeout (a migration's, minutes), not the lock timeout (seconds),
  // which made a second replica give up and exit while the first was still migrating. The DDL
  // keeps the lock timeout, so it does not queue behind, and hold up, the running replicas' writes.
  connection.Exec("SET lock_timeout = 0");
  connection.Exec(kLock, {lock_name});
  connection.Exec("RESET lock_timeout");
  int applied = 0;
  try {
    connection.ExecScript(kCreateTable);
    connection.ExecScript(kAddComponent);
    for (const auto& schema : schemas) applied += Apply(connection, schema);
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
