#include "orders/app/order_intake.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <utility>
#include <vector>

#include "core/thread_name.hpp"
#include "http/problem.hpp"
#include "observability/metrics.hpp"
#include "orders/app/place_order.hpp"
#include "orders/domain/order_json.hpp"
#include "orders/storage/order_repository.hpp"

namespace kpo::orders {
namespace {

observability::Histogram& BatchSizes() {
  static auto& sizes = observability::Registry::Global().GetHistogram(
      "orders_intake_batch_size", "New orders written in one transaction.", "", observability::kSizeBounds);
  return sizes;
}

// A batch's transaction, first statement to commit: with the time a request spends in the intake
// (http_request_duration_seconds) it tells waiting for a turn from waiting for the database.
observability::Histogram& WriteTimes() {
  static auto& times = observability::Registry::Global().GetHistogram(
      "orders_intake_write_seconds", "Time to write and commit one batch of new orders.");
  return times;
}

// From handing an order in to its batch starting: waiting for a writer's turn.
observability::Histogram& WaitTimes() {
  static auto& times = observability::Registry::Global().GetHistogram(
      "orders_intake_wait_seconds", "Time a new order waited for its batch to start being written.");
  return times;
}

}  // namespace

OrderIntake::OrderIntake(db::Pool& pool, OrderIntakeOptions options, messaging::OutboxHandoff* relay_handoff)
    : pool_(pool), options_(options), relay_handoff_(relay_handoff) {
  settler_ = std::jthread([this](std::stop_token stop) {
    core::NameThisThread("intake-settle");
    RunSettler(std::move(stop));
  });
  for (int i = 0; i < options_.max_writers; ++i) {
    writers_.emplace_back([this, i](std::stop_token stop) {
      core::NameThisThread("intake-" + std::to_string(i));
      RunWriter(std::move(stop));
    });
  }
  if (options_.max_wait > std::chrono::milliseconds::zero()) {
    expirer_ = std::jthread([this](std::stop_token stop) {
      core::NameThisThread("intake-expire");
      RunExpirer(std::move(stop));
    });
  }
}

OrderIntake::~OrderIntake() { Stop(); }

void OrderIntake::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  // First: what was handed in before the stop is written, however long it waited.
  expirer_.request_stop();
  if (expirer_.joinable()) expirer_.join();
  for (auto& writer : writers_) writer.request_stop();
  for (auto& writer : writers_) {
    if (writer.joinable()) writer.join();
  }
  // After the writers: the last batches they wrote may have handed it work.
  settler_.request_stop();
  if (settler_.joinable()) settler_.join();
}

void OrderIntake::Hand(OrderSubmission submission, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopped_) {
      waiting_.push_back(Entry{.submission = std::move(submission),
                               .done = std::move(done),
                               .handed_in = std::chrono::steady_clock::now(),
                               .answer = std::nullopt,
                               .failure = nullptr});
      handed_in_.notify_one();
      return;
    }
  }
  done(std::make_exception_ptr(db::DbError("the order intake has stopped", "57P01")), http::Response{});
}

http::Response OrderIntake::Submit(OrderSubmission submission) {
  std::promise<http::Response> answered;
  auto answer = answered.get_future();
  Hand(std::move(submission), [&answered](std::exception_ptr failure, http::Response response) {
    if (failure) {
      answered.set_exception(std::move(failure));
    } else {
      answered.set_value(std::move(response));
    }
  });
  return answer.get();
}

void OrderIntake::RunWriter(std::stop_token stop) {
  std::vector<Entry> batch;
  batch.reserve(options_.max_batch);
  std::unique_lock lock(mutex_);
  while (true) {
    // A stop waits for nothing more but still writes what was handed in.
    handed_in_.wait(lock, stop, [this] { return !waiting_.empty(); });
    if (waiting_.empty()) return;
    batch.clear();
    while (!waiting_.empty() && batch.size() < options_.max_batch) {
      batch.push_back(std::move(waiting_.front()));
      waiting_.pop_front();
    }
    lock.unlock();
    BatchSizes().Observe(static_cast<double>(batch.size()));
    const auto started = std::chrono::steady_clock::now();
    for (const Entry& entry : batch) {
      WaitTimes().Observe(std::chrono::duration<double>(started - entry.handed_in).count());
    }
    Write(batch);
    WriteTimes().Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    for (Entry& entry : batch) {
      // Those of a batch handed to the settler are answered there.
      if (entry.done) entry.done(entry.failure, entry.answer ? std::move(*entry.answer) : http::Response{});
    }
    lock.lock();
  }
}

void OrderIntake::RunExpirer(std::stop_token stop) {
  std::vector<Entry> expired;
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    const auto now = std::chrono::steady_clock::now();
    // The oldest waits at the front. With none waiting, one handed in from now on is due no sooner
    // than max_wait from now: the expirer sleeps until the next time something can be due, and
    // neither Hand nor the writers need to wake it.
    while (!waiting_.empty() && waiting_.front().handed_in + options_.max_wait <= now) {
      expired.push_back(std::move(waiting_.front()));
      waiting_.pop_front();
    }
    if (!expired.empty()) {
      lock.unlock();
      for (Entry& entry : expired) {
        entry.done(nullptr, http::ProblemError(503,
                                               "The database is not taking new orders quickly enough: this "
                                               "order was not placed; try again shortly")
                                .WithRetryAfter(1)
                                .WithReason("intake_wait")
                                .ToResponse());
      }
      expired.clear();
      lock.lock();
      continue;
    }
    const auto next_due = (waiting_.empty() ? now : waiting_.front().handed_in) + options_.max_wait;
    expiry_.wait_until(lock, stop, next_due, [] { return false; });
  }
}

std::size_t OrderIntake::Waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

// The edge of a batch: each submission gets its answer or its failure, which goes back to whoever
// handed it in.
void OrderIntake::Write(std::span<Entry> batch) {
  std::optional<WrittenBatch> written;
  int backend_pid = 0;
  try {
    db::InTransaction(pool_, [&](db::Transaction& tx) {
      written.reset();
      backend_pid = tx.BackendPid();
      written = WriteInTransaction(tx, batch);
    });
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].answer = std::move(written->answers[i]);
  } catch (const db::DbError& error) {
    // The COMMIT went out and its answer was lost: whether it committed can be found out, and
    // "may have been applied" is an answer no client can act on without a key.
    if (error.IsOutcomeUnknown() && written && written->a_new_order) {
      HandToSettler(batch, std::move(*written), backend_pid, std::current_exception());
      return;
    }
    // A submission's data was refused (a data exception or a constraint): the transaction rolled
    // back, nothing of it is stored, and one submission may be at fault, so each is tried alone.
    // Any other failure is the database's and would be the same for each.
    const bool data_refused = error.IsDataException() || error.IsIntegrityViolation();
    if (batch.size() > 1 && data_refused) {
      for (Entry& entry : batch) Write(std::span(&entry, 1));
      return;
    }
    for (Entry& entry : batch) entry.failure = std::current_exception();
  } catch (const std::exception&) {
    for (Entry& entry : batch) entry.failure = std::current_exception();
  }
}

OrderIntake::WrittenBatch OrderIntake::WriteInTransaction(db::Transaction& tx, std::span<Entry> batch) const {
  std::vector<idempotency::KeyedRequest> keys;
  std::vector<std::size_t> keyed;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].submission.key) {
      keys.push_back(*batch[i].submission.key);
      keyed.push_back(i);
    }
  }
  std::vector<std::optional<http::Response>> claimed(batch.size());
  auto answers_to_keys = idempotency::Claim(tx, keys);
  for (std::size_t j = 0; j < keyed.size(); ++j) claimed[keyed[j]] = std::move(answers_to_keys[j]);

  // The orders of the submissions whose keys did not answer for them, written together.
  std::vector<OrderDraft> drafts;
  std::vector<std::size_t> placed;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (claimed[i]) continue;
    drafts.push_back(batch[i].submission.order);
    placed.push_back(i);
  }
  const auto orders = PlaceOrders(tx, drafts, relay_handoff_);
  for (std::size_t j = 0; j < placed.size(); ++j) {
    auto accepted = http::JsonResponse(202, OrderToJson(orders[j]));
    accepted.SetHeader("Location", "/api/orders/" + orders[j].id);
    if (const auto& key = batch[placed[j]].submission.key) idempotency::Store(tx, *key, accepted);
    claimed[placed[j]] = std::move(accepted);
  }
  WrittenBatch written;
  written.answers.reserve(batch.size());
  for (auto& answer : claimed) written.answers.push_back(std::move(*answer));
  if (!orders.empty()) written.a_new_order = orders.front();
  return written;
}

void OrderIntake::HandToSettler(std::span<Entry> batch, WrittenBatch written, int backend_pid,
                                std::exception_ptr failure) {
  LostBatch lost{.entries = {},
                 .a_new_order = std::move(*written.a_new_order),
                 .backend_pid = backend_pid,
                 .failure = std::move(failure)};
  lost.entries.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    lost.entries.push_back(Entry{.submission = {},
                                 .done = std::exchange(batch[i].done, nullptr),
                                 .handed_in = batch[i].handed_in,
                                 .answer = std::move(written.answers[i]),
                                 .failure = nullptr});
  }
  std::lock_guard lock(mutex_);
  lost_batches_.push_back(std::move(lost));
  lost_.notify_one();
}

void OrderIntake::RunSettler(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (true) {
    lost_.wait(lock, stop, [this] { return !lost_batches_.empty(); });
    if (lost_batches_.empty()) return;
    LostBatch lost = std::move(lost_batches_.front());
    lost_batches_.pop_front();
    lock.unlock();
    Settle(lost, stop);
    lock.lock();
  }
}

void OrderIntake::Settle(LostBatch& lost, const std::stop_token& stop) {
  const auto& order = lost.a_new_order;
  const auto outcome = db::SettleLostCommit(
      pool_, lost.backend_pid,
      [&](db::Connection& connection) {
        return OrderRepository::FindForUser(connection, order.user_id, order.id).has_value();
      },
      options_.lost_commit_patience, stop);
  // Committed: the answers stand (the relay finds the batch's events in the outbox on its next look,
  // as nothing handed them over). Rolled back: nothing of the batch is stored.
  std::exception_ptr failure;
  if (outcome == db::CommitOutcome::kRolledBack) {
    failure = std::make_exception_ptr(db::DbError(
        "the database connection failed while the new orders were committed; they were not stored", "08006"));
  } else if (outcome == db::CommitOutcome::kUnknown) {
    failure = lost.failure;
  }
  for (Entry& entry : lost.entries) {
    entry.done(failure, failure ? http::Response{} : std::move(*entry.answer));
  }
}

}  // namespace kpo::orders
