#include "messaging/outbox.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>

#include "core/clock.hpp"
#include "core/log.hpp"
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
constexpr std::string_view kClaimBatch = R"sql(
SELECT id, message_id, exchange, routing_key, type, correlation_id, payload, traceparent,
       EXTRACT(EPOCH FROM clock_timestamp() - created_at)::float8 AS age_s
FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)sql";
constexpr std::string_view kDeletePublished = "DELETE FROM outbox WHERE id = ANY($1::bigint[])";
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
void LogPublished(const std::vector<Message>& published) {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  for (const Message& message : published) {
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

}  // namespace

db::Schema OutboxSchema() { return {"outbox", generated::outbox_migrations()}; }

void EnqueueOutbox(db::Transaction& tx, std::span<const Message> messages) {
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
}

OutboxRelay::OutboxRelay(RelayOptions options) : options_(std::move(options)) {}

bool OutboxRelay::Drain(db::Connection& db, Connection& amqp) {
  for (;;) {
    SampleBacklog(db);
    db::Transaction tx(db);
    auto rows = tx.Exec(kClaimBatch, {std::to_string(options_.batch_size)});
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
    BatchSize().Observe(static_cast<double>(batch.size()));
    // A consumer may act on a message before its confirm arrives: the send time is the one that
    // keeps a timeline in causal order.
    const auto sent_at = core::FormatRfc3339(core::Now());
    const auto publish_started = std::chrono::steady_clock::now();
    const auto confirmed = amqp.PublishConfirmed(batch, options_.confirm_timeout);
    ConfirmWait().Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - publish_started).count());
    if (options_.crash_after_confirm) {
      spdlog::critical("failpoint relay_crash_after_confirm: dying between confirm and commit");
      ::raise(SIGKILL);
    }
    const double since_claim =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - claimed).count();
    std::vector<Message> published;
    db::ArrayParam published_ids;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!confirmed[i]) continue;
      PublishDelay().Observe(ages[i] + since_claim);
      published_ids.Add(ids[i]);
      published.push_back(std::move(batch[i]));
    }
    if (!published.empty()) {
      tx.Queue(kDeletePublished, {published_ids.Text()});
      if (options_.on_published) options_.on_published(tx, published, sent_at);
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
    // A short batch took every row there was when it was claimed; rows committed since then
    // have woken the relay (or wait for its poll), so another claim now would usually find nothing.
    if (batch.size() < options_.batch_size) return false;
  }
}

void OutboxRelay::Idle(Connection& amqp, const std::stop_token& stop) {
  // Idle between bursts: without heartbeats the broker would drop the connection and the next
  // publish would fail and wait for a reconnect. Heartbeats are due every few seconds at most,
  // so waking every 200 ms to send one is plenty.
  constexpr auto kKeepAliveEvery = std::chrono::milliseconds(200);
  const auto deadline = std::chrono::steady_clock::now() + options_.poll_interval;
  while (!stop.stop_requested()) {
    amqp.KeepAlive();
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    const auto slice = std::min(left, kKeepAliveEvery);
    if (!options_.wakeup) {
      core::WaitFor(stop, slice);
    } else if (options_.wakeup->Wait(stop, slice)) {
      return;
    }
  }
}

void OutboxRelay::Run(std::stop_token stop) {
  core::RunWithReconnect("outbox relay", stop, [&] {
    db::Connection db(options_.database_url, {});
    Connection amqp(options_.amqp);
    for (const auto& exchange : options_.exchanges) amqp.DeclareExchange(exchange);
    spdlog::info("outbox relay publishing to {}", amqp.Node());
    while (!stop.stop_requested()) {
      if (!Drain(db, amqp)) Idle(amqp, stop);
    }
  });
}

}  // namespace kpo::messaging
