#pragma once
// For the gateway's tests against a real PostgreSQL: the identity database they use.
#include <string>

#include "db/test_database.hpp"

namespace kpo::gateway {

// KPO_TEST_GATEWAY_DATABASE_URL, or the tests' identity database `gateway_test` when it is not set
// (not GATEWAY_DATABASE_URL: that names the database the running gateway serves).
inline std::string IdentityTestDatabaseUrl() {
  return db::TestDatabaseUrl("KPO_TEST_GATEWAY_DATABASE_URL",
                             "postgresql://kpo:kpo@localhost:5432/gateway_test");
}

}  // namespace kpo::gateway
