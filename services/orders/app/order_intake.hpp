#pragma once
// Group commit for new orders. Each order is its own transaction in spirit (accepted if and only if
// its OrderCreated event will be published, Idempotency-Key honoured), but the orders handed in
// while a batch is being written go together into the next one: one transaction, three round trips
// at most and one commit for all of them. The rate at which orders are accepted is then not bound
// by how many transactions are open, each waiting for its own commit.
// The intake's own writer threads write the batches, and each order's answer goes back through a
// callback: a request handed in waits without a thread of its own. (Before, each request held a
// worker thread that waited for its batch and took turns writing: from the I/O thread to a worker,
// the wake-up after its batch and back cost orders about 7 time slices per order under overload,
// against about 1.5 now.)
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/money.hpp"
#include "db/pool.hpp"
#include "http/message.hpp"
#include "idempotency/idempotency.hpp"
#include "messaging/outbox.hpp"
#include "orders/app/place_order.hpp"

namespace kpo::orders {

// A validated new order as a request carried it, with the request's Idempotency-Key if any.
struct OrderSubmission {
  OrderDraft order;
  std::optional<idempotency::KeyedRequest> key;
};

struct OrderIntakeOptions {
  std::size_t max_batch = 64;
  int max_writers = 2;  // batches written at once: one commits while the next is written
};

class OrderIntake {
 public:
  // What became of a submission: its answer, or the failure (db::DbError) that stopped its batch.
  // Called on a writer thread; it must not block (e.g. it posts the answer to the request's loop).
  using Done = std::function<void(std::exception_ptr failure, http::Response answer)>;

  // Starts `max_writers` writer threads, which write the batches until the intake is stopped.
  // The OrderCreated events of each committed batch are offered to `relay_handoff` (if any), before
  // the answers go out: the outbox relay publishes them without reading them back.
  OrderIntake(db::Pool& pool, OrderIntakeOptions options, messaging::OutboxHandoff* relay_handoff = nullptr);
  // Stop().
  ~OrderIntake();
  OrderIntake(const OrderIntake&) = delete;
  OrderIntake& operator=(const OrderIntake&) = delete;

  // Hands `submission` in and returns at once; `done` is called once the transaction holding it
  // has committed, with its answer: 202 with the order and its Location, or what its
  // Idempotency-Key calls for (a replay, 409, 422); or, when the database failed, with the
  // db::DbError (as with any transaction, a failed commit may still have committed: the
  // Idempotency-Key is how a client finds out). A submission that makes its batch fail (a
  // statement error) is retried alone, so it cannot take the others with it. Thread safe.
  // Submissions handed in after Stop() began are answered with a failure at once, on the caller.
  void Hand(OrderSubmission submission, Done done);

  // Hand, then waits for the answer: returns it or throws the failure.
  http::Response Submit(OrderSubmission submission);

  // Submissions waiting for a batch to take them now.
  std::size_t Waiting() const;

  // Writes what was handed in, then stops the writers and returns. Idempotent.
  void Stop();

 private:
  struct Entry {
    OrderSubmission submission;
    Done done;
    std::chrono::steady_clock::time_point handed_in;
    std::optional<http::Response> answer;
    std::exception_ptr failure;
  };
  // A writer: takes up to max_batch of the oldest submissions as soon as there are any, writes them
  // in one transaction and answers each; until stopped and nothing is left.
  void RunWriter(std::stop_token stop);
  void Write(std::span<Entry> batch);
  std::vector<http::Response> WriteInTransaction(db::Transaction& tx, std::span<Entry> batch) const;

  db::Pool& pool_;
  OrderIntakeOptions options_;
  messaging::OutboxHandoff* relay_handoff_;
  mutable std::mutex mutex_;
  std::condition_variable_any handed_in_;  // under mutex_: waiting_ got a submission
  std::deque<Entry> waiting_;
  bool stopped_ = false;               // under mutex_
  std::vector<std::jthread> writers_;  // last: they stop before the rest is destroyed
};

}  // namespace kpo::orders
