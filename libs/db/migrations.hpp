#pragma once
// Versioned SQL migrations applied at start-up, safe when several replicas start at once.
#include <string>
#include <vector>

#include "db/connection.hpp"

namespace kpo::db {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// The component of a service's own migrations. Rows recorded before components existed belong
// to it: that is the column's default, which also keeps the INSERT of an older binary working.
inline constexpr const char* kServiceComponent = "service";

// Migrations versioned independently of the others in the same database: a service's own
// ("service") or the tables a library owns ("outbox", "inbox", "idempotency"), so that a library
// defines its tables once and every service that uses it gets the same schema.
struct Schema {
  std::string component;
  std::vector<Migration> migrations;
};
inline Schema ServiceSchema(const std::vector<Migration>& migrations) {
  return {kServiceComponent, migrations};
}

// Applies, schema by schema in the order given, every migration whose (component, version) is
// not yet in schema_migrations, each in its own transaction, while holding a session advisory
// lock derived from `lock_name` so that concurrent replicas apply each migration exactly once.
// Put the libraries' schemas before the service's: its migrations may refer to their tables.
// Upgrades a schema_migrations table from before components (version only) first. Returns how
// many migrations were applied.
int Migrate(Connection& connection, const std::vector<Schema>& schemas, const std::string& lock_name);
// A service's own migrations only.
inline int Migrate(Connection& connection, const std::vector<Migration>& migrations,
                   const std::string& lock_name) {
  return Migrate(connection, {ServiceSchema(migrations)}, lock_name);
}

}  // namespace kpo::db
