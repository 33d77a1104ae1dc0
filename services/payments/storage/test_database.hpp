#pragma once
// For the payments service's tests against a real PostgreSQL: the database they use, with the schema
// the service applies at start-up.
#include <string>
#include <vector>

#include "db/connection.hpp"
#include "db/migrations.hpp"
#include "db/test_database.hpp"
#include "service/bootstrap.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& payments_app_migrations();
}

namespace kpo::payments {

// KPO_TEST_PAYMENTS_DATABASE_URL, or the tests' payments database `payments_test` (never the one a
// running stack serves).
inline std::string PaymentsTestDatabaseUrl() {
  return db::TestDatabaseUrl("KPO_TEST_PAYMENTS_DATABASE_URL",
                             "postgresql://kpo:kpo@localhost:5432/payments_test");
}

// Brings the database behind `connection` to the service's schema, as the service does at start-up.
inline void MigratePaymentsTestDatabase(db::Connection& connection) {
  db::Migrate(connection, service::StandardSchemas(generated::payments_app_migrations()),
              "payments-migrations");
}

}  // namespace kpo::payments
