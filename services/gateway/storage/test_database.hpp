#pragma once
// For the gateway's tests against a real PostgreSQL: the identity database they use.
#include <string>

#include "db/test_database.hpp"

namespace kpo::gateway {

// GATEWAY_DATABASE_URL, or the development database `gateway` when it is not set.
inline std::string IdentityTestDatabaseUrl() {
  return db::TestDatabaseUrl("GATEWAY_DATABASE_URL", "postgresql://kpo:kpo@localhost:5432/gateway");
}

}  // namespace kpo::gateway
