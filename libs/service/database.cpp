#include "service/database.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <thread>
#include <utility>

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

// The readiness check's own connection. The checks run one caller at a time (http::
// AddOperationalRoutes); the mutex makes that the probe's promise, not only its caller's.
class DatabaseProbe {
 public:
  DatabaseProbe(std::string url, std::string application_name) : url_(std::move(url)) {
    options_.connect_timeout = http::kReadinessCheckDeadline;
    options_.statement_timeout = http::kReadinessCheckDeadline;
    options_.reply_grace = std::chrono::milliseconds(500);
    options_.application_name = std::move(application_name);
  }

  // Throws db::DbError when the database does not answer (the check then counts as down).
  bool Answers() {
    const std::lock_guard lock(mutex_);
    // A session the server ended while idle (a restart) would fail its next statement: that says
    // nothing about the database now, so the check opens a new one instead. A failed check's
    // connection is not Healthy(), so it is replaced the same way.
    if (connection_ && !connection_->QuietSinceLastAnswer()) connection_.reset();
    if (!connection_) connection_ = std::make_unique<db::Connection>(url_, options_);
    return connection_->Exec("SELECT 1 AS ok").Int(0, "ok") == 1;
  }

 private:
  std::string url_;
  db::ConnectionOptions options_;
  std::mutex mutex_;
  std::unique_ptr<db::Connection> connection_;
};

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

http::NamedReadinessCheck DatabaseReadiness(std::string database_url, std::string application_name) {
  auto probe = std::make_shared<DatabaseProbe>(std::move(database_url), std::move(application_name));
  return {"database", [probe] { return probe->Answers(); }};
}

}  // namespace kpo::service
