// Dead-letter replay: moves messages from "<queue>.dlq" back to where they were first published,
// with confirms, removing each from the DLQ only once the broker confirmed its republish.
#include <spdlog/spdlog.h>

#include <functional>
#include <string_view>
#include <utility>

#include "messaging/amqp_fields.hpp"
#include "messaging/amqp_impl.hpp"

namespace kpo::messaging {
namespace {

using detail::FieldString;
using detail::FindField;
using detail::kChannel;

// Where a dead-lettered message was first published: x-death is newest first, and since replay
// strips it, the first entry describes the original publish.
std::optional<std::pair<std::string, std::string>> DeathOrigin(const amqp_basic_properties_t& props) {
  if (!(props._flags & AMQP_BASIC_HEADERS_FLAG)) {
    return std::nullopt;
  }
  // A consumer that dead-letters a message itself records where it was published.
  auto our_exchange = FieldString(FindField(props.headers, kOriginExchangeHeader));
  auto our_key = FieldString(FindField(props.headers, kOriginKeyHeader));
  if (our_exchange && our_key) {
    return std::pair{*our_exchange, *our_key};
  }
  const amqp_field_value_t* deaths = FindField(props.headers, "x-death");
  if (deaths != nullptr && deaths->kind == AMQP_FIELD_KIND_ARRAY && deaths->value.array.num_entries > 0) {
    const amqp_field_value_t& first = deaths->value.array.entries[0];
    if (first.kind == AMQP_FIELD_KIND_TABLE) {
      auto exchange = FieldString(FindField(first.value.table, "exchange"));
      const amqp_field_value_t* keys = FindField(first.value.table, "routing-keys");
      if (exchange && keys != nullptr && keys->kind == AMQP_FIELD_KIND_ARRAY &&
          keys->value.array.num_entries > 0) {
        if (auto key = FieldString(&keys->value.array.entries[0])) {
          return std::pair{*exchange, *key};
        }
      }
    }
  }
  // Without a usable x-death only the summary headers remain, and they do not record the routing
  // key; the queue the message first died in is still known, so send it straight there through
  // the default exchange.
  if (auto queue = FieldString(FindField(props.headers, "x-first-death-queue")); queue && !queue->empty()) {
    return std::pair{std::string(), *queue};
  }
  return std::nullopt;
}

// Headers the broker adds while dead-lettering or redelivering; carrying them over would make the
// replayed message look like it had already failed.
bool IsBrokerDeathHeader(std::string_view key) {
  return key == "x-death" || key == "x-delivery-count" || key.starts_with("x-first-death-") ||
         key.starts_with("x-last-death-") || key.starts_with("x-kpo-");
}

// The message's headers without the broker's death records (entries point into `props`).
std::vector<amqp_table_entry_t> ReplayHeaders(const amqp_basic_properties_t& props) {
  std::vector<amqp_table_entry_t> headers;
  if (props._flags & AMQP_BASIC_HEADERS_FLAG) {
    for (int h = 0; h < props.headers.num_entries; ++h) {
      const amqp_table_entry_t& entry = props.headers.entries[h];
      const std::string_view key(static_cast<const char*>(entry.key.bytes), entry.key.len);
      if (!IsBrokerDeathHeader(key)) {
        headers.push_back(entry);
      }
    }
  }
  return headers;
}

// Republishes one dead letter to `origin` and waits for the confirm; true when confirmed.
bool Republish(Connection::Impl& impl, const Delivery& delivery, const amqp_message_t& message,
               const std::pair<std::string, std::string>& origin) {
  amqp_basic_properties_t props = message.properties;
  std::vector<amqp_table_entry_t> headers = ReplayHeaders(props);
  props.headers = detail::Table(headers);
  std::vector<Connection::Impl::Outstanding> pending;
  pending.push_back(
      impl.Publish(origin.first, origin.second, delivery.message.message_id, props, message.body));
  return impl.AwaitConfirms(pending, detail::Clock::now() + impl.settings.timeout).front();
}

// What a scan does with one dead letter.
enum class Verdict { kKeep, kReplay, kDiscard };

// Takes dead letters from `dlq` one by one (up to `max`), without acking them, so basic.get moves
// past them; `decide` says what to do with each. A replay is acked only once its republish is
// confirmed, a discard at once; everything kept goes back to the DLQ at the end (requeued: a
// quorum queue does not keep their order). If the process dies half-way the broker returns every unacked
// message itself, so a scan never loses one. With `first_only` it stops after the first letter it replays or
// discards. Returns how many were replayed or discarded.
std::size_t Scan(Connection::Impl& impl, const std::string& dlq, std::size_t max, bool first_only,
                 const std::function<Verdict(const Delivery&)>& decide) {
  std::size_t settled = 0;
  std::vector<std::uint64_t> kept;
  for (std::size_t i = 0; i < max; ++i) {
    amqp_maybe_release_buffers(impl.conn);
    amqp_message_t message{};
    std::optional<Delivery> delivery = impl.GetOne(dlq, message);
    if (!delivery) break;
    detail::MessageGuard guard(message);
    const Verdict verdict = decide(*delivery);
    bool done = verdict == Verdict::kDiscard;
    if (verdict == Verdict::kReplay) {
      const auto origin = DeathOrigin(message.properties);
      done = origin && Republish(impl, *delivery, message, *origin);
      if (!done) spdlog::warn("could not replay {}; leaving it in {}", delivery->message.message_id, dlq);
    }
    if (done) {
      impl.CheckStatus("ack dead letter", amqp_basic_ack(impl.conn, kChannel, delivery->delivery_tag, 0));
      ++settled;
    } else {
      kept.push_back(delivery->delivery_tag);
    }
    if (first_only && verdict != Verdict::kKeep) break;
  }
  for (std::uint64_t tag : kept) {
    impl.CheckStatus("return dead letter",
                     amqp_basic_nack(impl.conn, kChannel, tag, /*multiple=*/0, /*requeue=*/1));
  }
  return settled;
}

}  // namespace

std::size_t ReplayDeadLetters(const AmqpSettings& settings, const std::string& queue, std::size_t max) {
  Connection connection(settings);
  return Scan(*connection.impl_, queue + ".dlq", max, false,
              [](const Delivery&) { return Verdict::kReplay; });
}

bool SettleDeadLetter(const AmqpSettings& settings, const std::string& queue, const std::string& message_id,
                      DeadLetterAction action, std::size_t max_scan) {
  Connection connection(settings);
  const Verdict wanted = action == DeadLetterAction::kReplay ? Verdict::kReplay : Verdict::kDiscard;
  return Scan(*connection.impl_, queue + ".dlq", max_scan, true, [&](const Delivery& delivery) {
           return delivery.message.message_id == message_id ? wanted : Verdict::kKeep;
         }) > 0;
}

}  // namespace kpo::messaging
