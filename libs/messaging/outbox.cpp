#include "messaging/outbox.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <span>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/retry.hpp"
#include "db/arrays.hpp"
#include "observability/metrics.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& outbox_migrations();
}  // namespace kpo::generated

namespace kpo::messaging {
namespace {

constexpr std::string_view kInsert = R"sql(
INSERT INTO outbox (message_id, exchange, routing_key, type, correlation_id, payload, traceparent)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]))sql";
// published_at is always NULL now (rows were once kept and marked published; they are deleted
// instead): `published_at IS NULL` stays in these statements because it lets them use the partial
// index outbox_unpublished.
// Rows no relay of this process holds ($3) and older than $2: with a handoff, younger rows are
// their own process's, which publishes them itself.
constexpr std::string_view kClaimBatch = R"sql(
SELECT id, message_id, exchange, routing_key, type, correlation_id, payload, traceparent,
       EXTRACT(EPOCH FROM clock_timestamp() - created_at)::float8 AS age_s
FROM outbox
WHERE published_at IS NULL AND created_at <= clock_timestamp() - $2::interval AND message_id <> ALL($3::uuid[])
ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)sql";
constexpr std::string_view kDeletePublished = "DELETE FROM outbox WHERE id = ANY($1::bigint[])";
constexpr std::string_view kDeleteHanded = "DELETE FROM outbox WHERE message_id = ANY($1::uuid[])";
// Beyond this many held messages the poll lists none and takes only rows too old to be held
// (OrphanAge): an exclusion list that long would cost more than the poll can save.
constexpr std::size_t kMaxExcluded = 5000;
constexpr std::string_view kVacuum = "VACUUM (SKIP_LOCKED) outbox";
// The backlog gauges, sampled by the relay (see SampleBacklog). Both walk the partial index on
// unpublished rows (outbox_unpublished), never the table: the oldest row is the first entry, and
// the count stops at kBacklogCap rows however large an outage made the backlog. set_config
// bounds the statement to 250 ms, in this transaction only.
constexpr std::int64_t kBacklogCap = 100'000;
constexpr std::string_view kSampleDeadline = "SELECT set_config('statement_timeout', '250', true)";
constexpr std::string_view kSampleBacklog = R"sql(
SELECT (SELECT count(*) FROM (SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT $1) AS capped) AS rows,
       COALESCE(EXTRACT(EPOCH FROM now() - (
         SELECT created_at FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT 1)), 0)::float8 AS oldest_s)sql";

// How long the broker takes to confirm a batch: with quorum queues, its replicated, fsynced write.
observability::Histogram& ConfirmWait() {
  static auto& histogram = observability::Registry::Global().GetHistogram(
      "outbox_confirm_seconds", "Time from publishing an outbox batch to the broker's last confirm.");
  return histogram;
}

// From the transaction that wrote a row (its created_at) to the broker's confirm of it: the
// relay's whole hop, wake-up and claim included.
observability::Histogram& PublishDelay() {
  static auto& histogram = observability::Registry::Global().GetHistogram(
      "outbox_publish_delay_seconds", "Time from writing an outbox row to the broker's confirm of it.");
  return histogram;
}

observability::Histogram& BatchSize() {
  static auto& histogram = observability::Registry::Global().GetHistogram(
      "outbox_batch_size", "Outbox rows claimed and published together.", "", observability::kSizeBounds);
  return histogram;
}

// Whether the caller's turn has come for a chore that one thread of the process does every
// `every`: true for exactly one caller per period, whichever of the relays' threads asks first.
bool TakeTurn(std::atomic<std::chrono::steady_clock::rep>& next_turn, std::chrono::milliseconds every) {
  using Clock = std::chrono::steady_clock;
  const auto now = Clock::now().time_since_epoch().count();
  auto due = next_turn.load(std::memory_order_relaxed);
  const auto next = now + std::chrono::duration_cast<Clock::duration>(every).count();
  return now >= due && next_turn.compare_exchange_strong(due, next);
}

// One relay per process samples the backlog, about once a second: the process's relays share
// these gauges (replicas each report the same table; take the max across them).
void SampleBacklog(db::Connection& db) {
  static std::atomic<std::chrono::steady_clock::rep> next_sample{0};
  static auto& backlog = observability::Registry::Global().GetGauge(
      "outbox_unpublished_rows", "Outbox rows not yet published (counted up to 100000).");
  static auto& oldest = observability::Registry::Global().GetGauge(
      "outbox_oldest_unpublished_age_seconds", "Age of the oldest unpublished outbox row; 0 when none.");
  if (!TakeTurn(next_sample, std::chrono::seconds(1))) return;
  try {
    db::Transaction tx(db);
    tx.Queue(kSampleDeadline);
    auto row = tx.Exec(kSampleBacklog, {std::to_string(kBacklogCap)});
    tx.Commit();
    backlog.Set(static_cast<double>(row.Int(0, "rows")));
    oldest.Set(std::stod(row.Text(0, "oldest_s")));
  } catch (const db::DbError& error) {
    // A gauge must not stop the relay: a broken connection fails the next claim and reconnects.
    spdlog::warn("outbox: sampling the backlog failed: {}", error.what());
  }
}

// Clears the dead rows and index entries the relays' deletes left (RelayOptions::vacuum_interval).
// SKIP_LOCKED: a replica's relay already vacuuming (or an autovacuum) is left to it, never waited for.
void VacuumIfDue(db::Connection& db, std::chrono::milliseconds every) {
  static std::atomic<std::chrono::steady_clock::rep> next_vacuum{0};
  if (every.count() == 0 || !TakeTurn(next_vacuum, every)) return;
  try {
    db.ExecScript(kVacuum);
  } catch (const db::DbError& error) {
    // Housekeeping must not stop the relay: a broken connection fails the next claim and reconnects.
    spdlog::warn("outbox: vacuuming failed: {}", error.what());
  }
}

observability::Counter& PublishedCounter() {
  static auto& counter = observability::Registry::Global().GetCounter(
      "outbox_published_total", "Outbox rows published with a broker confirm.");
  return counter;
}

std::optional<std::string> Traceparent(const Message& message) {
  for (const auto& [name, value] : message.headers) {
    if (name == "traceparent") return value;
  }
  return std::nullopt;
}

Message RowToMessage(const db::Result& rows, int i) {
  Message message;
  message.message_id = rows.Text(i, "message_id");
  message.exchange = rows.Text(i, "exchange");
  message.routing_key = rows.Text(i, "routing_key");
  message.type = rows.Text(i, "type");
  message.correlation_id = rows.Text(i, "correlation_id");
  message.body = rows.Text(i, "payload");
  if (auto trace = rows.OptionalText(i, "traceparent")) message.headers.emplace_back("traceparent", *trace);
  return message;
}

// One debug line per message the broker confirmed, so that one order's lines can be followed
// across services (info would add a line per message at full load).
void LogPublished(std::span<const PublishedMessage> published) {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  for (const auto& [message, sent_at] : published) {
    core::LogFields fields;
    fields.AddTrace(Traceparent(message).value_or(""))
        .Add("order_id", message.correlation_id)
        .Add("message_id", message.message_id)
        .Add("type", message.type)
        .Add("routing_key", message.routing_key);
    core::ScopedLogFields scope(fields);
    spdlog::debug("relay published {}", message.type);
  }
}

// Hands messages a relay took back to the poll when it leaves a scope without knowing what became of
// them (the broker failed, or anything else did): their rows stay in the outbox.
class ReleaseOnExit {
 public:
  ReleaseOnExit(OutboxHandoff& handoff, std::vector<std::string> message_ids)
      : handoff_(handoff), message_ids_(std::move(message_ids)) {}
  ~ReleaseOnExit() { handoff_.Release(message_ids_); }
  ReleaseOnExit(const ReleaseOnExit&) = delete;
  ReleaseOnExit& operator=(const ReleaseOnExit&) = delete;
  // From now on only these are released on exit.
  void Keep(std::vector<std::string> message_ids) { message_ids_ = std::move(message_ids); }

 private:
  OutboxHandoff& handoff_;
  std::vector<std::string> message_ids_;
};

}  // namespace

db::Schema OutboxSchema() { return {"outbox", generated::outbox_migrations()}; }

void EnqueueOutbox(db::Transaction& tx, std::span<const Message> messages, OutboxHandoff* handoff) {
  if (messages.empty()) return;
  db::ArrayParam ids, exchanges, keys, types, correlations, payloads, traces;
  for (const Message& m : messages) {
    ids.Add(m.message_id);
    exchanges.Add(m.exchange);
    keys.Add(m.routing_key);
    types.Add(m.type);
    correlations.Add(m.correlation_id);
    payloads.Add(m.body);
    traces.Add(Traceparent(m));
  }
  tx.Queue(kInsert, {ids.Text(), exchanges.Text(), keys.Text(), types.Text(), correlations.Text(),
                     payloads.Text(), traces.Text()});
  if (handoff != nullptr) {
    tx.AfterCommit([handoff, committed = std::vector<Message>(messages.begin(), messages.end())] {
      handoff->Offer(committed);
    });
  }
}

bool OutboxHandoff::TakePollTurn(std::chrono::milliseconds every) { return TakeTurn(next_poll_, every); }

OutboxRelay::OutboxRelay(RelayOptions options) : options_(std::move(options)) {}

bool OutboxRelay::PublishHanded(Connection& amqp) {
  auto handed = options_.handoff->Take(options_.batch_size);
  if (handed.empty()) return false;
  std::vector<Message> batch;
  std::vector<std::string> ids;
  batch.reserve(handed.size());
  ids.reserve(handed.size());
  for (auto& entry : handed) {
    ids.push_back(entry.message.message_id);
    batch.push_back(std::move(entry.message));
  }
  ReleaseOnExit release(*options_.handoff, ids);
  // A consumer may act on a message before its confirm arrives: the send time is the one that
  // keeps a timeline in causal order.
  const auto sent_at = core::FormatRfc3339(core::Now());
  const auto confirmed = PublishBatch(amqp, batch);
  const auto now = std::chrono::steady_clock::now();
  if (confirmed_.empty()) first_confirmed_ = now;
  const std::size_t before = confirmed_.size();
  std::vector<std::string> refused;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!confirmed[i]) {
      refused.push_back(ids[i]);
      continue;
    }
    PublishDelay().Observe(std::chrono::duration<double>(now - handed[i].committed).count());
    confirmed_.push_back({std::move(batch[i]), sent_at});
  }
  if (!refused.empty()) {
    // Unroutable or nacked: released, the poll tries them again once they are orphan_age old.
    spdlog::warn("outbox: broker did not confirm {} of {} messages; the poll retries them", refused.size(),
                 batch.size());
  }
  release.Keep(std::move(refused));  // the confirmed ones are released once their rows are deleted
  const auto published = std::span(confirmed_).subspan(before);
  PublishedCounter().Add(published.size());
  LogPublished(published);
  return true;
}

void OutboxRelay::DeleteConfirmed(db::Connection& db, bool now) {
  if (confirmed_.empty()) return;
  const bool due = now || confirmed_.size() >= options_.batch_size ||
                   std::chrono::steady_clock::now() - first_confirmed_ >= options_.delete_delay;
  if (!due) return;
  db::ArrayParam ids;
  std::vector<std::string> deleted;
  deleted.reserve(confirmed_.size());
  for (const auto& published : confirmed_) {
    ids.Add(published.message.message_id);
    deleted.push_back(published.message.message_id);
  }
  db::Transaction tx(db);
  tx.Queue(kDeleteHanded, {ids.Text()});
  if (options_.on_published) options_.on_published(tx, confirmed_);
  tx.Commit();
  options_.handoff->Release(deleted);
  confirmed_.clear();
  VacuumIfDue(db, options_.vacuum_interval);
}

std::vector<bool> OutboxRelay::PublishBatch(Connection& amqp, const std::vector<Message>& batch) const {
  BatchSize().Observe(static_cast<double>(batch.size()));
  const auto publish_started = std::chrono::steady_clock::now();
  auto confirmed = amqp.PublishConfirmed(batch, options_.confirm_timeout);
  ConfirmWait().Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - publish_started).count());
  if (options_.crash_after_confirm) {
    spdlog::critical("failpoint relay_crash_after_confirm: dying between confirm and delete");
    ::raise(SIGKILL);
  }
  return confirmed;
}

std::string OutboxRelay::OrphanAge(db::ArrayParam& held) const {
  if (!options_.handoff) return "0 ms";
  auto age = options_.orphan_age;
  if (const auto held_ids = options_.handoff->Held(kMaxExcluded)) {
    for (const auto& id : *held_ids) held.Add(id);
  } else {
    // Too many held to list: only rows older than a held one can be, once its confirm timed out
    // and its delete was due, are taken (a handed row older still is published twice: harmless).
    age += options_.confirm_timeout + options_.delete_delay;
  }
  return std::to_string(age.count()) + " ms";
}

bool OutboxRelay::Drain(db::Connection& db, Connection& amqp) {
  db::ArrayParam held;
  const auto min_age = OrphanAge(held);
  db::Transaction tx(db);
  auto rows = tx.Exec(kClaimBatch, {std::to_string(options_.batch_size), min_age, held.Text()});
  if (rows.Empty()) return false;
  const auto claimed = std::chrono::steady_clock::now();
  std::vector<Message> batch;
  std::vector<std::string> ids;
  std::vector<double> ages;
  for (int i = 0; i < rows.Rows(); ++i) {
    batch.push_back(RowToMessage(rows, i));
    ids.push_back(rows.Text(i, "id"));
    ages.push_back(std::stod(rows.Text(i, "age_s")));
  }
  const auto sent_at = core::FormatRfc3339(core::Now());
  const auto confirmed = PublishBatch(amqp, batch);
  const double since_claim =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - claimed).count();
  std::vector<PublishedMessage> published;
  db::ArrayParam published_ids;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!confirmed[i]) continue;
    PublishDelay().Observe(ages[i] + since_claim);
    published_ids.Add(ids[i]);
    published.push_back({std::move(batch[i]), sent_at});
  }
  if (!published.empty()) {
    tx.Queue(kDeletePublished, {published_ids.Text()});
    if (options_.on_published) options_.on_published(tx, published);
  }
  tx.Commit();
  if (!published.empty()) VacuumIfDue(db, options_.vacuum_interval);
  PublishedCounter().Add(published.size());
  LogPublished(published);
  if (published.size() < batch.size()) {
    // Unroutable or nacked: leave the rest for a later round instead of spinning on it.
    spdlog::warn("outbox: broker did not confirm {} of {} messages; retrying later",
                 batch.size() - published.size(), batch.size());
    return false;
  }
  // A short batch took every row there was when it was claimed.
  return batch.size() == options_.batch_size;
}

void OutboxRelay::Idle(Connection& amqp, const std::stop_token& stop,
                       std::chrono::steady_clock::time_point deadline) {
  // Idle between bursts: without heartbeats the broker would drop the connection and the next
  // publish would fail and wait for a reconnect. Heartbeats are due every few seconds at most,
  // so waking every 200 ms to send one is plenty.
  constexpr auto kKeepAliveEvery = std::chrono::milliseconds(200);
  while (!stop.stop_requested()) {
    amqp.KeepAlive();
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    const auto slice = std::min(left, kKeepAliveEvery);
    if (!options_.handoff) {
      core::WaitFor(stop, slice);
    } else if (options_.handoff->Wait(stop, slice)) {
      return;
    }
  }
}

void OutboxRelay::Run(std::stop_token stop) {
  core::RunWithReconnect("outbox relay", stop, [&] {
    db::Connection db(options_.database_url, {.application_name = options_.application_name});
    // Before the broker's connect, which fails (and is retried) while the broker is away: the
    // backlog gauges matter most then, as orders keep coming in.
    SampleBacklog(db);
    Connection amqp(options_.amqp);
    for (const auto& exchange : options_.exchanges) amqp.DeclareExchange(exchange);
    spdlog::info("outbox relay publishing to {}", amqp.Node());
    using Clock = std::chrono::steady_clock;
    auto next_poll = Clock::now();
    bool orphans_left = false;  // the last claim was full: more rows may be waiting
    while (!stop.stop_requested()) {
      SampleBacklog(db);
      const bool published = options_.handoff && PublishHanded(amqp);
      DeleteConfirmed(db, false);
      // The poll keeps its pace however busy the hand-off is, one claim per round so that neither
      // waits for the other. With a hand-off the process's relays take turns; without one each polls.
      const auto now = Clock::now();
      bool poll = orphans_left;
      if (!poll && now >= next_poll) {
        next_poll = now + options_.poll_interval;
        poll = !options_.handoff || options_.handoff->TakePollTurn(options_.poll_interval);
      }
      if (poll) orphans_left = Drain(db, amqp);
      if (published || orphans_left) continue;
      auto wake = next_poll;
      if (!confirmed_.empty()) wake = std::min(wake, first_confirmed_ + options_.delete_delay);
      Idle(amqp, stop, wake);
    }
    // Stopping: what the broker confirmed is deleted, so it is not published again at the next start.
    DeleteConfirmed(db, true);
  });
}

}  // namespace kpo::messaging
