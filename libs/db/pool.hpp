#pragma once
// A fixed-size pool of PostgreSQL connections shared by request and worker threads.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
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

}  // namespace kpo::db
