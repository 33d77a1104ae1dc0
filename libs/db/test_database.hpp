#pragma once
// For tests against a real PostgreSQL: which database they use.
#include <cstdlib>
#include <string>

namespace kpo::db {

// The URL in environment variable `variable`, or `fallback` when it is not set.
inline std::string TestDatabaseUrl(const char* variable = "KPO_TEST_DATABASE_URL",
                                   const char* fallback = "postgresql://kpo:kpo@localhost:5432/orders") {
  const char* url = std::getenv(variable);
  return url != nullptr ? url : fallback;
}

}  // namespace kpo::db
