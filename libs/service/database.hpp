#pragma once
// Start-up and error-mapping steps of a service with a database. Kept apart from bootstrap.hpp
// (the broker services' settings and readiness) so that a service without a broker, the gateway,
// does not link the AMQP client.
#include <string>
#include <vector>

#include "db/migrations.hpp"
#include "http/operational.hpp"
#include "http/router.hpp"

namespace kpo::service {

// Applies `schemas` (libraries' first, then the service's own: see db::Migrate), waiting (with
// jittered backoff, up to `attempts` tries and about 55 s) for PostgreSQL to accept connections:
// services may start before the database. Throws the last error when it never does, and at once an
// error that is not transient (db::DbError::IsTransient: a migration's SQL refused). A migration's statements
// may run for 15 minutes (a request's get 10 s).
void MigrateWithRetry(const std::string& database_url, const std::vector<db::Schema>& schemas,
                      const std::string& lock_name, int attempts = 100);
// A service's own migrations only.
inline void MigrateWithRetry(const std::string& database_url, const std::vector<db::Migration>& migrations,
                             const std::string& lock_name, int attempts = 100) {
  MigrateWithRetry(database_url, {db::ServiceSchema(migrations)}, lock_name, attempts);
}

// Answers 503 with Retry-After (problem+json) for a request that failed because of the database,
// not the request (db::DbError::IsTransient: unavailable, too slow — a statement or lock timeout —,
// out of resources, read-only during a failover, an I/O error), instead of a 500: the client did
// nothing wrong and may try again shortly. A lost COMMIT (IsOutcomeUnknown) is said to have maybe
// been applied.
http::Router::ErrorMapper UnavailableWhenTheDatabaseIs();

// /readyz's "database" check (required): whether the database answers a SELECT 1 within 2 s, on a
// connection of its own named `application_name`, opened on first use and opened again when the
// server ended it or a check failed. Not on a pooled connection: with every pooled connection busy,
// e.g. waiting for a lock another session holds, the database still answers, and a check that
// waited for the pool took 3.6 s, most of an orchestrator's probe timeout, to report a healthy
// database.
http::NamedReadinessCheck DatabaseReadiness(std::string database_url, std::string application_name);

}  // namespace kpo::service
