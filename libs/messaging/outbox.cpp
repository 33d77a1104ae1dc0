#include "messaging/outbox.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <csignal>
#include <mutex>

#include "core/clock.hpp"
#include "db/listener.hpp"
#include "observability/metrics.hpp"

namespace kpo::messaging {
namespace {

constexpr std::string_view kInsert = R"sql(
INSERT INTO outbox (message_id, exchange, routing_key, type, correlation_id, payload, traceparent)
VALUES ($1, $2, $3, $4, $5, $6, $7))sql";
constexpr std::string_view kNotify = "SELECT pg_notify('outbox', '')";
constexpr std::string_view kClaimBatch = R"sql(
SELECT id, message_id, exchange, routing_key, type, correlation_id, payload, traceparent
FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)sql";
constexpr std::string_view kMarkPublished =
    "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])";
constexpr std::string_view kDeletePublished = R"sql(
DELETE FROM outbox WHERE id IN (
  SELECT id FROM outbox WHERE published_at < now() - make_interval(secs => $1::double precision) LIMIT 10000))sql";

observability::Counter& PublishedCounter() {
  static auto& counter = observability::Registry::Global().GetCounter(
      "outbox_published_total", "Outbox rows published with a broker confirm.");
  return counter;
}

}  // namespace

bool WaitFor(std::stop_token stop, std::chrono::milliseconds delay) {
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  return !cv.wait_for(lock, stop, delay, [] { return false; }) && !stop.stop_requested();
}

void EnqueueOutbox(db::Transaction& tx, const Message& message) {
  std::optional<std::string> traceparent;
  for (const auto& [name, value] : message.headers) {
    if (name == "traceparent") traceparent = value;
  }
  tx.Exec(kInsert, {message.message_id, message.exchange, message.routing_key, message.type,
                    message.correlation_id, message.body, traceparent});
  tx.Exec(kNotify);
}

OutboxRelay::OutboxRelay(RelayOptions options) : options_(std::move(options)) {}

std::size_t OutboxRelay::Drain(db::Connection& db, Connection& amqp) {
  std::size_t total = 0;
  for (;;) {
    db::Transaction tx(db);
    auto rows = tx.Exec(kClaimBatch, {std::to_string(options_.batch_size)});
    if (rows.Empty()) return total;
    std::vector<Message> batch;
    std::vector<std::string> ids;
    for (int i = 0; i < rows.Rows(); ++i) {
      Message message;
      message.message_id = rows.Text(i, "message_id");
      message.exchange = rows.Text(i, "exchange");
      message.routing_key = rows.Text(i, "routing_key");
      message.type = rows.Text(i, "type");
      message.correlation_id = rows.Text(i, "correlation_id");
      message.body = rows.Text(i, "payload");
      if (auto trace = rows.OptionalText(i, "traceparent"))
        message.headers.emplace_back("traceparent", *trace);
      batch.push_back(std::move(message));
      ids.push_back(rows.Text(i, "id"));
    }
    // A consumer may act on a message before its confirm arrives: the send time is the one that
    // keeps a timeline in causal order.
    const auto sent_at = core::FormatRfc3339(core::Now());
    const auto confirmed = amqp.PublishConfirmed(batch, options_.confirm_timeout);
    if (options_.crash_after_confirm) {
      spdlog::critical("failpoint relay_crash_after_confirm: dying between confirm and commit");
      ::raise(SIGKILL);
    }
    std::vector<Message> published;
    std::string id_array = "{";
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!confirmed[i]) continue;
      if (id_array.size() > 1) id_array += ',';
      id_array += ids[i];
      published.push_back(std::move(batch[i]));
    }
    id_array += '}';
    if (!published.empty()) {
      tx.Exec(kMarkPublished, {id_array});
      if (options_.on_published) options_.on_published(tx, published, sent_at);
    }
    tx.Commit();
    PublishedCounter().Add(published.size());
    total += published.size();
    if (published.size() < batch.size()) {
      // Unroutable or nacked: leave the rest for a later round instead of spinning on it.
      spdlog::warn("outbox: broker did not confirm {} of {} messages; retrying later",
                   batch.size() - published.size(), batch.size());
      return total;
    }
  }
}

void OutboxRelay::DeletePublished(db::Connection& db) {
  const auto seconds = std::chrono::duration<double>(options_.retention).count();
  auto result = db.Exec(kDeletePublished, {std::to_string(seconds)});
  if (result.AffectedRows() > 0) spdlog::info("outbox: deleted {} old published rows", result.AffectedRows());
}

void OutboxRelay::Run(std::stop_token stop) {
  auto backoff = std::chrono::milliseconds(100);
  while (!stop.stop_requested()) {
    // The edge of the relay: any failure drops all connections and starts over after a backoff.
    try {
      db::Connection db(options_.database_url, {});
      db::Listener listener(options_.database_url, {}, {kOutboxChannel});
      Connection amqp(options_.amqp);
      for (const auto& exchange : options_.exchanges) amqp.DeclareExchange(exchange);
      backoff = std::chrono::milliseconds(100);
      auto last_cleanup = std::chrono::steady_clock::time_point{};
      while (!stop.stop_requested()) {
        const auto published = Drain(db, amqp);
        if (std::chrono::steady_clock::now() - last_cleanup > std::chrono::minutes(1)) {
          DeletePublished(db);
          last_cleanup = std::chrono::steady_clock::now();
        }
        if (published > 0) continue;
        // Sleep until an enqueue commits (NOTIFY) or the poll interval passes; the poll also
        // retries rows the broker refused and covers NOTIFYs sent while we were disconnected.
        const auto deadline = std::chrono::steady_clock::now() + options_.poll_interval;
        while (!stop.stop_requested() && std::chrono::steady_clock::now() < deadline) {
          // Idle between bursts: without heartbeats the broker would drop the connection and the
          // next publish would fail and wait for a reconnect.
          amqp.KeepAlive();
          if (listener.Wait(std::chrono::milliseconds(200))) {
            while (listener.Wait(std::chrono::milliseconds(0))) {
            }
            break;
          }
        }
      }
    } catch (const std::exception& error) {
      spdlog::warn("outbox relay: {}; reconnecting in {} ms", error.what(), backoff.count());
      WaitFor(stop, backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
}

}  // namespace kpo::messaging
