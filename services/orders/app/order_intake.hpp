#pragma once
// Group commit for new orders. Each order is its own transaction in spirit (accepted if and only if
// its OrderCreated event will be published, Idempotency-Key honoured), but the orders handed in
// while a batch is being written go together into the next one: one transaction, three round trips
// at most and one commit for all of them. The rate at which orders are accepted is then not bound
// by how many transactions the workers hold open, each waiting for its own commit.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/money.hpp"
#include "db/pool.hpp"
#include "http/message.hpp"
#include "idempotency/idempotency.hpp"

namespace kpo::orders {

// A validated new order as a request carried it.
struct OrderSubmission {
  std::string user_id;
  core::Minor amount = 0;
  std::string description;
  std::string traceparent;
  std::optional<idempotency::KeyedRequest> key;
};

struct OrderIntakeOptions {
  std::size_t max_batch = 64;
  int max_writers = 2;  // batches written at once: one commits while the next is written
};

class OrderIntake {
 public:
  OrderIntake(db::Pool& pool, OrderIntakeOptions options) : pool_(pool), options_(options) {}

  // Blocks until the transaction holding `submission` has committed and returns its answer: 202
  // with the order and its Location, or what its Idempotency-Key calls for (a replay, 409, 422).
  // Throws db::DbError when the database failed; as with any transaction, a failed commit may
  // still have committed (the Idempotency-Key is how a client finds out). A submission that makes
  // its batch fail (a statement error) is retried alone, so it cannot take the others with it.
  // Thread safe: the calling threads take turns writing each other's batches.
  http::Response Submit(const OrderSubmission& submission);

  // Submissions waiting for a batch to take them now.
  std::size_t Waiting() const;

 private:
  // One submission and the thread that handed it in, which waits on `turn` (under mutex_) until its
  // order is written or it is called to write a batch.
  struct Entry {
    const OrderSubmission* submission = nullptr;
    std::chrono::steady_clock::time_point handed_in;
    std::optional<http::Response> answer;
    std::exception_ptr failure;
    bool done = false;
    bool writing = false;  // its thread is writing a batch (maybe not one holding this entry)
    bool called = false;   // its thread was woken to write and has not taken the call yet
    std::condition_variable turn;
  };
  // With a writer's place free, wakes the thread of the oldest waiting entry that is neither
  // writing nor already called, to write the next batch. Under mutex_.
  void CallNextWriter();
  void Write(std::span<Entry* const> batch);
  std::vector<http::Response> WriteInTransaction(db::Transaction& tx, std::span<Entry* const> batch) const;

  db::Pool& pool_;
  OrderIntakeOptions options_;
  mutable std::mutex mutex_;
  std::deque<Entry*> waiting_;
  int writers_ = 0;
};

}  // namespace kpo::orders
