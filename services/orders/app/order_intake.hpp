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
  // How long a batch whose COMMIT's answer was lost is looked into (db::SettleLostCommit) before its
  // submissions are answered with the lost COMMIT's error.
  std::chrono::milliseconds lost_commit_patience = db::kLostCommitPatience;
  // How long a submission may wait for a writer (0: as long as it takes). One still waiting then is
  // answered 503 + Retry-After and never written: behind batches the database holds up (a lock, a
  // hung server) a client learns at once that its order was not placed, instead of waiting for the
  // database's own deadlines (up to twice lock_timeout) and its gateway's. A batch being written is
  // never cut short: its orders may already be committed.
  std::chrono::milliseconds max_wait{3000};
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
  // db::DbError. A batch whose COMMIT went out but whose answer was lost is settled on a thread of
  // its own (db::SettleLostCommit: does its first new order exist once the session that sent the
  // COMMIT has ended?): committed, its submissions get their answers; rolled back, a DbError 08006
  // (nothing applied); unsettled within lost_commit_patience, the lost COMMIT's 08007 (it may have
  // been applied: the Idempotency-Key is how a client finds out). A submission that makes its
  // batch fail (a statement error) is retried alone, so it cannot take the others with it. Thread safe.
  // Submissions handed in after Stop() began are answered with a failure at once, on the caller.
  // A submission still waiting for a writer after max_wait is answered 503 (/problems/unavailable,
  // Retry-After) on the expirer's thread and is not written.
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
  // A batch's answers as its transaction wrote them, and a new order it stored (none when every
  // submission was answered by its Idempotency-Key), which only a committed batch left behind.
  struct WrittenBatch {
    std::vector<http::Response> answers;
    std::optional<Order> a_new_order;
  };
  WrittenBatch WriteInTransaction(db::Transaction& tx, std::span<Entry> batch) const;
  // A batch whose COMMIT's answer was lost, waiting for the settler: its submissions keep their
  // answers (valid if it committed) and the lost COMMIT's failure (if that cannot be settled).
  struct LostBatch {
    std::vector<Entry> entries;
    Order a_new_order;
    int backend_pid = 0;
    std::exception_ptr failure;
  };
  // Moves the batch's submissions (their `done` with them) to the settler.
  void HandToSettler(std::span<Entry> batch, WrittenBatch written, int backend_pid,
                     std::exception_ptr failure);
  // The settler: settles each lost batch in turn and answers its submissions; once stopped, what is
  // left gets one look each.
  void RunSettler(std::stop_token stop);
  // The expirer: answers the submissions that waited max_wait for a writer, until stopped.
  void RunExpirer(std::stop_token stop);
  void Settle(LostBatch& lost, const std::stop_token& stop);

  db::Pool& pool_;
  OrderIntakeOptions options_;
  messaging::OutboxHandoff* relay_handoff_;
  mutable std::mutex mutex_;
  std::condition_variable_any handed_in_;  // under mutex_: waiting_ got a submission
  std::deque<Entry> waiting_;
  bool stopped_ = false;              // under mutex_
  std::condition_variable_any lost_;  // under mutex_: lost_batches_ got one
  std::deque<LostBatch> lost_batches_;
  std::condition_variable_any expiry_;  // under mutex_: only to wake the expirer at its time or stop
  // Last: they stop before the rest is destroyed; the settler after the writers, which hand it work.
  std::jthread settler_;
  std::vector<std::jthread> writers_;
  std::jthread expirer_;
};

}  // namespace kpo::orders
