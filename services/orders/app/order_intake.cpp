#include "orders/app/order_intake.hpp"

#include <chrono>
#include <utility>
#include <vector>

#include "observability/metrics.hpp"
#include "orders/app/place_order.hpp"
#include "orders/domain/order_json.hpp"

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

http::Response OrderIntake::Submit(const OrderSubmission& submission) {
  Entry mine;
  mine.submission = &submission;
  mine.handed_in = std::chrono::steady_clock::now();
  // Allocated before the entry is handed in: nothing between handing it in and its answer throws,
  // so no entry is left in waiting_ after its thread has gone.
  std::vector<Entry*> batch;
  batch.reserve(options_.max_batch);
  std::unique_lock lock(mutex_);
  waiting_.push_back(&mine);
  while (true) {
    const bool called = std::exchange(mine.called, false);
    if (mine.done) {
      // Called to write, but the order was written meanwhile: the call goes on to another thread.
      if (called) CallNextWriter();
      break;
    }
    if (writers_ >= options_.max_writers || waiting_.empty()) {
      mine.turn.wait(lock);
      continue;
    }
    // Write the oldest waiting orders (maybe not this thread's own: it keeps taking turns until
    // its order is written, by itself or by another thread).
    batch.clear();
    while (!waiting_.empty() && batch.size() < options_.max_batch) {
      batch.push_back(waiting_.front());
      waiting_.pop_front();
    }
    ++writers_;
    mine.writing = true;
    lock.unlock();
    BatchSizes().Observe(static_cast<double>(batch.size()));
    const auto started = std::chrono::steady_clock::now();
    for (const Entry* entry : batch) {
      WaitTimes().Observe(std::chrono::duration<double>(started - entry->handed_in).count());
    }
    Write(batch);
    WriteTimes().Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    lock.lock();
    --writers_;
    mine.writing = false;
    // Only the threads whose orders were written wake. With one condition for all, every thread
    // waiting (up to ORDERS_MAX_IN_FLIGHT) woke after each batch to find its order still waiting:
    // most of orders' context switches under load.
    for (Entry* entry : batch) {
      entry->done = true;
      if (entry != &mine) entry->turn.notify_one();
    }
    // A writer whose order is still waiting takes the next turn itself; one that is done leaves,
    // and another thread is called to take its place.
    if (mine.done) CallNextWriter();
  }
  if (mine.failure) std::rethrow_exception(mine.failure);
  return std::move(*mine.answer);
}

void OrderIntake::CallNextWriter() {
  if (writers_ >= options_.max_writers) return;
  // The oldest entry of a thread that is neither writing (it takes its next turn itself) nor
  // already called (a call it has not woken up to yet).
  for (Entry* entry : waiting_) {
    if (!entry->writing && !entry->called) {
      entry->called = true;
      entry->turn.notify_one();
      return;
    }
  }
}

std::size_t OrderIntake::Waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

// The edge of a batch: each submission's answer or failure goes back to the thread that handed it
// in, which returns or rethrows it.
void OrderIntake::Write(std::span<Entry* const> batch) {
  try {
    auto answers =
        db::InTransaction(pool_, [&](db::Transaction& tx) { return WriteInTransaction(tx, batch); });
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->answer = std::move(answers[i]);
  } catch (const db::DbError& error) {
    // A submission's data was refused (22xxx data exception, 23xxx constraint): the transaction
    // rolled back, nothing of it is stored, and one submission may be at fault, so each is tried
    // alone. Any other failure is the database's and would be the same for each.
    const bool data_refused = error.SqlState().starts_with("22") || error.SqlState().starts_with("23");
    if (batch.size() > 1 && data_refused) {
      for (Entry* entry : batch) Write(std::span(&entry, 1));
      return;
    }
    for (Entry* entry : batch) entry->failure = std::current_exception();
  } catch (const std::exception&) {
    for (Entry* entry : batch) entry->failure = std::current_exception();
  }
}

std::vector<http::Response> OrderIntake::WriteInTransaction(db::Transaction& tx,
                                                            std::span<Entry* const> batch) const {
  std::vector<idempotency::KeyedRequest> keys;
  std::vector<std::size_t> keyed;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i]->submission->key) {
      keys.push_back(*batch[i]->submission->key);
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
    const OrderSubmission& submission = *batch[i]->submission;
    drafts.push_back({submission.user_id, submission.amount, submission.description, submission.traceparent});
    placed.push_back(i);
  }
  const auto orders = PlaceOrders(tx, drafts);
  for (std::size_t j = 0; j < placed.size(); ++j) {
    auto accepted = http::JsonResponse(202, OrderToJson(orders[j]));
    accepted.SetHeader("Location", "/api/orders/" + orders[j].id);
    if (const auto& key = batch[placed[j]]->submission->key) idempotency::Store(tx, *key, accepted);
    claimed[placed[j]] = std::move(accepted);
  }
  std::vector<http::Response> answers;
  answers.reserve(batch.size());
  for (auto& answer : claimed) answers.push_back(std::move(*answer));
  return answers;
}

}  // namespace kpo::orders
