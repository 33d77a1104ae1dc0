#pragma once
// For tests against a real PostgreSQL: which database they use. The fallbacks are the tests' own
// databases (`*_test`, created by scripts/lib.sh beside the development ones): a test run on a machine
// where the stack is up must not write test orders and users into the databases the stack serves.
#include <cstdlib>
#include <string>

namespace kpo::db {

// The URL in environment variable `variable`, or `fallback` when it is not set.
inline std::string TestDatabaseUrl(const char* variable = "KPO_TEST_DATABASE_URL",
                                   const char* fallback = "postgresql://kpo:kpo@localhost:5432/orders_test") {
  const char* url = std::getenv(variable);
  return url != nullptr ? url : fallback;
}

}  // namespace kpo::db
