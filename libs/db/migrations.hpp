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

// Applies every migration whose version is not yet in schema_migrations, in version order, each
// in its own transaction, while holding a session advisory lock derived from `lock_name` so
// that concurrent replicas apply each migration exactly once. Returns how many were applied.
int Migrate(Connection& connection, const std::vector<Migration>& migrations, const std::string& lock_name);

}  // namespace kpo::db
