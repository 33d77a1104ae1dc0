#include "messaging/inbox.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_set>

#include "core/ascii.hpp"
#include "core/ids.hpp"
#include "core/retry.hpp"
#include "db/arrays.hpp"
#include "observability/metrics.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& inbox_migrations();
}  // namespace kpo::generated

namespace kpo::messaging {
namespace {

// Rows come back only for the ids inserted now; the others were processed before.
constexpr std::string_view kInsertInbox = R"sql(
INSERT INTO inbox (message_id, type)
SELECT id, type FROM unnest($1::uuid[], $2::text[]) AS m(id, type) ORDER BY id
ON CONFLICT (message_id) DO NOTHING RETURNING message_id::text)sql";

// A chunk of the oldest rows, by row address (db/retention.hpp says why).
constexpr std::string_view kDeleteOld = R"sql(
WITH deleted AS (
  DELETE FROM inbox WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM inbox WHERE received_at < now() - make_interval(secs => $1::bigint)
    ORDER BY received_at LIMIT $2))
  RETURNING 1)
SELECT count(*) AS deleted FROM deleted)sql";

// Any transient failure of the database (db::DbError::IsTransient: unavailable, disk full, a
// statement or lock timeout, read-only during a failover, an I/O error) says nothing about the
// messages: requeueing would spend their deliveries on it until the broker dead-lettered valid
// messages, whose orders would then wait for an operator.
bool IsInfrastructureFailure(const std::exception& exception) {
  const auto* error = dynamic_cast<const db::DbError*>(&exception);
  return error != nullptr && error->IsTransient();
}

// A deadlock or serialization failure (db::DbError::IsRetryable) is the moment's, not a message's:
// the same transaction, run again, normally commits.
bool IsRetryableConflict(const std::exception& exception) {
  const auto* error = dynamic_cast<const db::DbError*>(&exception);
  return error != nullptr && error->IsRetryable();
}

// Times a batch that hit a deadlock or serialization failure runs again whole before it is split
// (as db::InTransaction retries a transaction).
constexpr int kConflictRetries = 4;

// A data exception fails the same message the same way on every delivery.
bool IsDataException(const std::exception& exception) {
  const auto* error = dynamic_cast<const db::DbError*>(&exception);
  return error != nullptr && error->IsDataException();
}

observability::Counter& Outcome(const char* outcome) {
  return observability::Registry::Global().GetCounter(
      "messages_consumed_total", "Messages consumed by outcome.", fmt::format("outcome=\"{}\"", outcome));
}

// From reading a delivery off the broker to the commit that applied it (waiting for the rest of
// the batch, the pool and the transaction): the consumer's hop, before its ack.
observability::Histogram& ReceiveToCommit() {
  static auto& histogram = observability::Registry::Global().GetHistogram(
      "consumer_receive_to_commit_seconds", "Time from receiving a delivery to committing its effects.");
  return histogram;
}

// One attempt at the batch `pending` (indices into `deliveries`). Returns true when it committed;
// false when `apply` rejected some, which are then marked kDeadLetter and removed from `pending`.
bool ApplyOnce(db::Pool& pool, const std::vector<Delivery>& deliveries, std::vector<std::size_t>& pending,
               const ApplyBatch& apply, std::vector<Disposition>& dispositions) {
  auto lease = pool.Acquire();
  db::Transaction tx(*lease);
  db::ArrayParam ids, types;
  for (std::size_t i : pending) {
    ids.Add(deliveries[i].message.message_id);
    types.Add(deliveries[i].message.type);
  }
  auto inserted = tx.Exec(kInsertInbox, {ids.Text(), types.Text()});
  std::unordered_set<std::string> new_ids;
  for (int row = 0; row < inserted.Rows(); ++row) new_ids.insert(inserted.Text(row, "message_id"));
  std::vector<const Delivery*> fresh;
  std::vector<std::size_t> fresh_index;  // fresh[k] is deliveries[fresh_index[k]]
  for (std::size_t i : pending) {
    // A message delivered twice within the batch is fresh once: erase() answers 1 only the first time.
    std::string id = deliveries[i].message.message_id;
    std::transform(id.begin(), id.end(), id.begin(),
                   core::AsciiLower);  // PostgreSQL prints uuids in lower case
    if (new_ids.erase(id) == 1) {
      fresh.push_back(&deliveries[i]);
      fresh_index.push_back(i);
    }
  }
  const auto rejections = fresh.empty() ? std::vector<Rejection>{} : apply(tx, fresh);
  if (!rejections.empty()) {
    std::unordered_set<std::size_t> rejected;
    for (const auto& rejection : rejections) {
      const std::size_t i = fresh_index.at(rejection.index);
      deliveries[i].failure = rejection.reason;
      core::ScopedLogFields scope(MessageLogFields(deliveries[i].message).Add("error", rejection.reason));
      spdlog::error("dead-lettering message {} ({}): {}", deliveries[i].message.message_id,
                    deliveries[i].message.type, rejection.reason);
      Outcome("dead_letter").Add();
      dispositions[i] = Disposition::kDeadLetter;
      rejected.insert(i);
    }
    std::erase_if(pending, [&](std::size_t i) { return rejected.contains(i); });
    return false;  // rolled back by the transaction's destructor
  }
  tx.Commit();
  const auto committed = std::chrono::steady_clock::now();
  for (std::size_t i : pending) {
    ReceiveToCommit().Observe(std::chrono::duration<double>(committed - deliveries[i].received_at).count());
  }
  Outcome("applied").Add(fresh.size());
  Outcome("duplicate").Add(pending.size() - fresh.size());
  for (std::size_t i : pending) dispositions[i] = Disposition::kAck;
  if (pending.size() > fresh.size())
    spdlog::info("{} duplicate message(s) ignored", pending.size() - fresh.size());
  return true;
}

// Marks `delivery` for the dead letters, with `reason` for its x-kpo-error header.
void DeadLetter(const Delivery& delivery, const std::string& reason, Disposition& disposition) {
  delivery.failure = reason;
  core::ScopedLogFields scope(MessageLogFields(delivery.message));  // its ids, escaped, as log fields
  spdlog::error("dead-lettering a {} message: {}", delivery.message.type, reason);
  Outcome("dead_letter").Add();
  disposition = Disposition::kDeadLetter;
}

// The indices of the deliveries whose message_id is a UUID (the inbox's key); the others are
// dead-lettered.
std::vector<std::size_t> WithUuidIds(const std::vector<Delivery>& deliveries,
                                     std::vector<Disposition>& dispositions) {
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < deliveries.size(); ++i) {
    if (core::IsUuid(deliveries[i].message.message_id)) {
      pending.push_back(i);
    } else {
      DeadLetter(deliveries[i], "message_id is not a UUID", dispositions[i]);
    }
  }
  return pending;
}

Disposition ProcessAlone(db::Pool& pool, const Delivery& delivery, const ApplyBatch& apply,
                         const std::stop_token& stop) {
  // The edge of one message's processing when its batch failed: its own failure means a retry.
  try {
    const std::vector<Delivery> alone{delivery};
    const auto disposition = ProcessBatch(pool, alone, apply, stop).front();
    delivery.failure = alone.front().failure;  // why it was refused, for its dead letter
    return disposition;
  } catch (const std::exception& error) {
    delivery.failure = error.what();
    core::ScopedLogFields scope(MessageLogFields(delivery.message).Add("error", error.what()));
    spdlog::error("message {} ({}) failed: {}", delivery.message.message_id, delivery.message.type,
                  error.what());
    return Disposition::kRetry;
  }
}

}  // namespace

db::RetentionSweep InboxSweep(std::chrono::seconds retention) {
  db::RetentionSweep sweep;
  sweep.table = "inbox";
  sweep.delete_older_than = kDeleteOld;
  sweep.retention = retention;
  return sweep;
}

db::Schema InboxSchema() { return {"inbox", generated::inbox_migrations()}; }

// NOLINTNEXTLINE(performance-unnecessary-value-param): std::jthread hands the token by value
std::vector<Disposition> ProcessBatch(db::Pool& pool, const std::vector<Delivery>& deliveries,
                                      const ApplyBatch& apply, std::stop_token stop) {
  // Every outcome's series from the first batch on, at 0 until it happens: a counter that appears
  // only with its first increment hides that increment from rate() and increase() (the first dead
  // letter after a restart).
  static const bool outcomes_registered =
      (Outcome("applied"), Outcome("duplicate"), Outcome("dead_letter"), true);
  (void)outcomes_registered;
  std::vector<Disposition> dispositions(deliveries.size(), Disposition::kRetry);
  auto pending = WithUuidIds(deliveries, dispositions);
  static auto& batch_time = observability::Registry::Global().GetHistogram(
      "consumer_batch_seconds", "Time to apply and commit one batch of deliveries.");
  static auto& batch_size = observability::Registry::Global().GetHistogram(
      "consumer_batch_size", "Deliveries handed to the consumer together.", "", observability::kSizeBounds);
  batch_size.Observe(static_cast<double>(deliveries.size()));
  const auto started = std::chrono::steady_clock::now();
  core::Backoff backoff;
  int conflicts = 0;
  while (!pending.empty()) {
    try {
      if (ApplyOnce(pool, deliveries, pending, apply, dispositions)) break;
    } catch (const std::exception& error) {
      // Split, a batch of 256 would be 256 transactions for what one rerun commits.
      if (IsRetryableConflict(error) && ++conflicts <= kConflictRetries) {
        spdlog::warn("batch of {} conflicted ({}); running it again", pending.size(), error.what());
        continue;
      }
      if (IsInfrastructureFailure(error)) {
        if (stop.stop_requested()) break;
        const auto delay = backoff.Next();
        spdlog::warn("database unavailable while processing {} message(s): {}; retrying in {} ms",
                     pending.size(), error.what(), delay.count());
        // The wait may outlast the broker's patience (two heartbeats, a minute): each round tells it
        // the consumer is alive, so the batch's deliveries stay with it until the database is back.
        KeepConsumerAlive();
        core::WaitFor(stop, delay);
        continue;
      }
      // With one message left, a data exception is that message's fault: retrying it would only spend
      // its deliveries (each failing its whole batch first) until the broker's limit dead-letters it.
      if (pending.size() == 1 && IsDataException(error)) {
        DeadLetter(deliveries[pending.front()], error.what(), dispositions[pending.front()]);
        break;
      }
      // A batch of one has nothing to split: the consumer retries it. The last message left of a
      // larger batch (the others refused) is applied alone like the others below, so that the
      // refused ones keep their dead-letter disposition instead of being retried with it.
      if (deliveries.size() == 1) throw;
      // One message may be at fault: give each its own transaction, so the others commit and only
      // the culprit is retried (and dead-lettered by the broker after the delivery limit).
      spdlog::warn("batch of {} failed ({}); applying each message alone", pending.size(), error.what());
      for (std::size_t i : pending) {
        KeepConsumerAlive();  // one at a time, this may take long (each up to a statement timeout)
        dispositions[i] = ProcessAlone(pool, deliveries[i], apply, stop);
      }
      break;
    }
  }
  batch_time.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return dispositions;
}

}  // namespace kpo::messaging
