#include "db/pool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/retry.hpp"
#include "observability/metrics.hpp"

namespace kpo::db {
namespace {

// Process-wide sums over the pools: connections leased out, threads waiting for one, and the
// pools' sizes, so that "in use / size" and a queue of waiters show a pool that is too small.
observability::Gauge& InUse() {
  static auto& gauge = observability::Registry::Global().GetGauge(
      "db_pool_connections_in_use", "Database connections leased from the pool.");
  return gauge;
}

observability::Gauge& Waiting() {
  static auto& gauge = observability::Registry::Global().GetGauge(
      "db_pool_waiting", "Threads waiting for a free database connection.");
  return gauge;
}

observability::Gauge& Size() {
  static auto& gauge = observability::Registry::Global().GetGauge("db_pool_connections_max",
                                                                  "Connections the database pools may open.");
  return gauge;
}

// Whether another session runs in the server process `pid` (one that ended has left
// pg_stat_activity; a pid is reused only after the server has handed out millions more).
constexpr std::string_view kSessionLives =
    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1::int AND pid <> pg_backend_pid()) AS lives";

}  // namespace

CommitOutcome SettleLostCommit(Pool& pool, int backend_pid, const std::function<bool(Connection&)>& applied,
                               std::chrono::milliseconds patience, const std::stop_token& stop) {
  const auto give_up_at = std::chrono::steady_clock::now() + patience;
  core::Backoff backoff;
  while (true) {
    try {
      auto lease = pool.Acquire();
      if (!lease->Exec(kSessionLives, {std::to_string(backend_pid)}).Bool(0, "lives")) {
        const bool committed = applied(*lease);
        spdlog::info("a COMMIT whose answer was lost has been settled: {}",
                     committed ? "committed" : "rolled back");
        return committed ? CommitOutcome::kCommitted : CommitOutcome::kRolledBack;
      }
    } catch (const DbError& error) {
      if (!error.IsTransient()) {
        spdlog::warn("cannot settle a COMMIT whose answer was lost: {}", error.what());
        return CommitOutcome::kUnknown;
      }
    }
    // The last wait is cut to the patience left, and a last look taken at its end: giving up as soon
    // as the next backoff would overrun it cut the patience short by up to a whole delay.
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(give_up_at - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds::zero() || !core::WaitFor(stop, std::min(backoff.Next(), left))) {
      spdlog::warn("a COMMIT whose answer was lost is still unsettled after {} ms", patience.count());
      return CommitOutcome::kUnknown;
    }
  }
}

Pool::Pool(std::string url, std::size_t size, ConnectionOptions options,
           std::chrono::milliseconds acquire_timeout)
    : url_(std::move(url)), size_(size), options_(std::move(options)), acquire_timeout_(acquire_timeout) {
  Size().Add(static_cast<double>(size_));
  // Registered now, so that the series exists (at 0) before the first wait.
  Waiting();
}

Pool::~Pool() { Size().Add(-static_cast<double>(size_)); }

Pool::Lease::Lease(Pool& pool, std::unique_ptr<Connection> connection)
    : pool_(&pool), connection_(std::move(connection)) {
  InUse().Add(1);
}

Pool::Lease::~Lease() {
  if (connection_) pool_->Release(std::move(connection_));
}

Pool::Lease Pool::Acquire() {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + acquire_timeout_;
  for (;;) {
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      if (connection->QuietSinceLastAnswer()) return Lease(*this, std::move(connection));
      // The server ended it while it was idle (e.g. a restart): drop it, take or open another,
      // instead of failing the caller's first statement on it.
      --open_;
      continue;
    }
    if (open_ < size_) {
      ++open_;
      lock.unlock();
      try {
        return Lease(*this, std::make_unique<Connection>(url_, options_));
      } catch (const DbError&) {
        // The slot was reserved before connecting; give it back so the pool can retry later.
        std::lock_guard relock(mutex_);
        --open_;
        available_.notify_one();
        throw;
      }
    }
    Waiting().Add(1);
    const auto waited = available_.wait_until(lock, deadline);
    Waiting().Add(-1);
    if (waited == std::cv_status::timeout && idle_.empty() && open_ >= size_) {
      throw DbError("database pool exhausted: no connection free within the deadline", "53300");
    }
  }
}

void Pool::Release(std::unique_ptr<Connection> connection) {
  InUse().Add(-1);
  std::lock_guard lock(mutex_);
  if (connection->Healthy()) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;  // dropped: a later Acquire opens a fresh one
  }
  available_.notify_one();
}

}  // namespace kpo::db
