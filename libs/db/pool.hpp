#pragma once
// A fixed-size pool of PostgreSQL connections shared by request and worker threads.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "db/connection.hpp"

namespace kpo::db {

class Pool {
 public:
  // Connections are opened lazily, up to `size`. Thread safe.
  Pool(std::string url, std::size_t size, ConnectionOptions options,
       std::chrono::milliseconds acquire_timeout = std::chrono::seconds(5));
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Exclusive use of one connection; returned to the pool on destruction, or dropped when it is
  // broken or was left inside a transaction.
  class Lease {
   public:
    Lease(Pool& pool, std::unique_ptr<Connection> connection);
    ~Lease();
    Lease(Lease&&) = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection& operator*() { return *connection_; }
    Connection* operator->() { return connection_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // Waits up to acquire_timeout for a free connection, opening one when below size.
  // Throws DbError("pool exhausted") on timeout, or the connect error.
  Lease Acquire();

 private:
  void Release(std::unique_ptr<Connection> connection);

  std::string url_;
  std::size_t size_;
  ConnectionOptions options_;
  std::chrono::milliseconds acquire_timeout_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
};

// Runs `work` in a transaction on a pooled connection and commits. A serialization failure or
// deadlock retries the whole transaction (up to 5 attempts); other errors propagate.
template <typename Work>
auto InTransaction(Pool& pool, Work&& work) {
  for (int attempt = 1;; ++attempt) {
    auto lease = pool.Acquire();
    try {
      Transaction tx(*lease);
      if constexpr (std::is_void_v<decltype(work(tx))>) {
        work(tx);
        tx.Commit();
        return;
      } else {
        auto result = work(tx);
        tx.Commit();
        return result;
      }
    } catch (const DbError& error) {
      if (!error.IsRetryable() || attempt >= 5) throw;
    }
  }
}

// What became of a transaction whose COMMIT went out but whose answer never came back
// (DbError::IsOutcomeUnknown: the connection broke, or the server stopped answering, meanwhile).
enum class CommitOutcome { kCommitted, kRolledBack, kUnknown };

// How long a lost COMMIT is looked into before it is reported as such: a restart of the database
// (stopped, crash recovery, started) takes a few seconds.
inline constexpr std::chrono::milliseconds kLostCommitPatience{5000};

// Settles a lost COMMIT by asking the database again, on the pool's connections, retrying while it
// is unreachable, for up to `patience` (or until `stop`). First the session that sent the COMMIT
// (its server process `backend_pid`) must be gone: while it lives it may still commit. Then
// `applied(connection)`, which must look for a row only that transaction wrote (a new id), tells
// for good: kCommitted or kRolledBack. kUnknown when the database stayed unreachable or the session
// lingered all that time.
CommitOutcome SettleLostCommit(Pool& pool, int backend_pid, const std::function<bool(Connection&)>& applied,
                               std::chrono::milliseconds patience = kLostCommitPatience,
                               const std::stop_token& stop = {});

// InTransaction for work whose result names a row it wrote: a lost COMMIT is settled
// (SettleLostCommit, `applied(connection, result)` looking for that row) instead of reported. Once
// committed, the result is returned as if the COMMIT had been answered; rolled back, DbError 08006
// is thrown (nothing applied: safe to send again); unsettled, the 08007 DbError stands.
template <typename Work, typename Applied>
auto InTransactionSettled(Pool& pool, Work&& work, Applied&& applied,
                          std::chrono::milliseconds patience = kLostCommitPatience) {
  using Written = std::decay_t<decltype(work(std::declval<Transaction&>()))>;
  std::optional<Written> written;
  int backend_pid = 0;
  try {
    InTransaction(pool, [&](Transaction& tx) {
      written.reset();
      backend_pid = tx.BackendPid();
      written.emplace(work(tx));
    });
    return std::move(*written);
  } catch (const DbError& error) {
    if (!error.IsOutcomeUnknown() || !written) throw;
    switch (SettleLostCommit(
        pool, backend_pid, [&](Connection& connection) { return applied(connection, *written); }, patience)) {
      case CommitOutcome::kCommitted:
        return std::move(*written);
      case CommitOutcome::kRolledBack:
        throw DbError(std::string(error.what()) + " (it was not applied)", "08006");
      case CommitOutcome::kUnknown:
        break;
    }
    throw;
  }
}

}  // namespace kpo::db
