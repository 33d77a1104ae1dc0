#include "service/database.hpp"

#include <spdlog/spdlog.h>

#include <thread>

#include "core/retry.hpp"
#include "http/problem.hpp"

namespace kpo::service {

namespace {

// A migration may build an index over a large table or rewrite one: it gets minutes, not the 10 s a
// request's statement gets, or an upgrade of a big database would fail at start-up every time (a
// server that stops answering is still noticed by the TCP user timeout). Waiting for a lock keeps
// its usual bound: the attempt fails and is retried, without holding up the old replicas' writes.
db::ConnectionOptions MigrationOptions() {
  db::ConnectionOptions options;
  options.statement_timeout = std::chrono::minutes(15);
  options.application_name = "kpo-migrations";
  return options;
}

// How long start-up waits for PostgreSQL at most: a database restarting or failing over while a
// replica starts takes tens of seconds.
constexpr auto kStartupPatience = std::chrono::seconds(55);

}  // namespace

void MigrateWithRetry(const std::string& database_url, const std::vector<db::Schema>& schemas,
                      const std::string& lock_name, int attempts) {
  // Jittered (core::Backoff): replicas started together do not all retry in the same instant. The
  // jitter makes the delays' sum vary, so the wait is bounded by time, not only by the attempts.
  core::Backoff backoff(std::chrono::milliseconds(200), std::chrono::milliseconds(2000));
  const auto give_up_at = std::chrono::steady_clock::now() + kStartupPatience;
  for (int attempt = 1;; ++attempt) {
    try {
      db::Connection connection(database_url, MigrationOptions());
      const int applied = db::Migrate(connection, schemas, lock_name);
      spdlog::info("database schema up to date ({} migration(s) applied)", applied);
      return;
    } catch (const db::DbError& error) {
      // A migration the server refuses (its SQL, a constraint) fails the same way every time.
      if (!error.IsTransient()) throw;
      const auto delay = backoff.Next();
      if (attempt >= attempts || std::chrono::steady_clock::now() + delay > give_up_at) throw;
      spdlog::warn("database not ready ({}); retrying in {} ms", error.what(), delay.count());
      // Start-up has nothing else to do meanwhile; this is a retry delay, not synchronisation.
      std::this_thread::sleep_for(delay);
    }
  }
}

http::Router::ErrorMapper UnavailableWhenTheDatabaseIs() {
  return [](const std::exception& exception) -> std::optional<http::Response> {
    const auto* error = dynamic_cast<const db::DbError*>(&exception);
    if (error == nullptr || !error->IsTransient()) return std::nullopt;
    spdlog::warn("answering 503: {}", error->what());
    // Still 503 with Retry-After (the database is unreachable), but a write whose COMMIT was lost
    // on the way may have been applied, and "try again" would invite a client without an
    // Idempotency-Key to do it twice.
    const std::string detail =
        error->IsOutcomeUnknown()
            ? "The database connection failed while the change was being committed, so it may have been "
              "applied: check before sending it again (an Idempotency-Key makes a repeat safe)"
            : "The service is temporarily unavailable; try again shortly";
    return http::ProblemError(503, detail).WithRetryAfter(1).WithReason("database_unavailable").ToResponse();
  };
}

}  // namespace kpo::service
