// Receiving: basic.get (Connection::Get, the dead-letter tools) and the consumer, which reads
// deliveries in batches within its prefetch window, hands them to the handler and settles each
// only after the handler returned (ack after commit).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/retry.hpp"
#include "messaging/amqp_fields.hpp"
#include "messaging/amqp_impl.hpp"

namespace kpo::messaging {

using detail::Bytes;
using detail::kChannel;
using detail::ToString;

namespace {

// How long one consume wait blocks before the consumer re-checks its stop token.
constexpr std::chrono::milliseconds kConsumePoll{250};

// The connection of the consumer whose handler runs on this thread (KeepConsumerAlive), if any.
thread_local Connection::Impl* handling_consumer = nullptr;

// Makes `connection` the thread's handling consumer while the handler runs.
class HandlingConsumer {
 public:
  explicit HandlingConsumer(Connection::Impl* connection) { handling_consumer = connection; }
  ~HandlingConsumer() { handling_consumer = nullptr; }
  HandlingConsumer(const HandlingConsumer&) = delete;
  HandlingConsumer& operator=(const HandlingConsumer&) = delete;
  HandlingConsumer(HandlingConsumer&&) = delete;
  HandlingConsumer& operator=(HandlingConsumer&&) = delete;
};

}  // namespace

void KeepConsumerAlive() {
  if (handling_consumer == nullptr) return;
  if (const int status = handling_consumer->SendHeartbeat(); status != AMQP_STATUS_OK) {
    spdlog::debug("consumer heartbeat not sent: {}", amqp_error_string2(status));
  }
}

int Connection::Impl::SendHeartbeat() {
  amqp_frame_t heartbeat{};
  heartbeat.frame_type = AMQP_FRAME_HEARTBEAT;
  heartbeat.channel = 0;
  return amqp_send_frame(conn, &heartbeat);
}

std::optional<Delivery> Connection::Impl::GetOne(const std::string& queue, amqp_message_t& message) {
  const amqp_rpc_reply_t reply = amqp_basic_get(conn, kChannel, Bytes(queue), /*no_ack=*/0);
  CheckReply("get from " + queue, reply);
  if (reply.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) {
    return std::nullopt;
  }
  if (reply.reply.id != AMQP_BASIC_GET_OK_METHOD) {
    Throw("get from " + queue + ": " + detail::MethodName(reply.reply.id));
  }
  // get-ok lives in the connection's frame pool, which reading the content may recycle.
  const auto* ok = static_cast<const amqp_basic_get_ok_t*>(reply.reply.decoded);
  const std::uint64_t tag = ok->delivery_tag;
  const bool redelivered = ok->redelivered != 0;
  std::string exchange = ToString(ok->exchange);
  std::string routing_key = ToString(ok->routing_key);
  CheckReply("read message from " + queue, amqp_read_message(conn, kChannel, &message, 0));
  return detail::ToDelivery(message, tag, redelivered, std::move(exchange), std::move(routing_key));
}

std::vector<Delivery> Connection::Impl::Get(const std::string& queue, std::size_t max, bool remove) {
  EnsureUsable();
  std::vector<Delivery> out;
  while (out.size() < max) {
    amqp_maybe_release_buffers(conn);
    amqp_message_t message{};
    std::optional<Delivery> delivery = GetOne(queue, message);
    if (!delivery) {
      break;
    }
    detail::MessageGuard guard(message);
    out.push_back(std::move(*delivery));
  }
  // Settled together at the end so a failure half-way leaves every message in the queue.
  if (!out.empty()) {
    const std::uint64_t last = out.back().delivery_tag;
    if (remove) {
      CheckStatus("ack messages from " + queue, amqp_basic_ack(conn, kChannel, last, /*multiple=*/1));
    } else {
      CheckStatus("return messages to " + queue,
                  amqp_basic_nack(conn, kChannel, last, /*multiple=*/1, /*requeue=*/1));
    }
  }
  return out;
}

void Connection::Impl::StartConsuming(const std::string& queue, std::uint16_t prefetch, int priority) {
  amqp_basic_qos(conn, kChannel, 0, prefetch, /*global=*/0);
  CheckRpc("set prefetch on " + queue);
  amqp_table_entry_t priority_entry{};
  priority_entry.key = amqp_cstring_bytes("x-priority");
  priority_entry.value.kind = AMQP_FIELD_KIND_I32;
  priority_entry.value.value.i32 = priority;
  const amqp_table_t arguments = priority != 0 ? amqp_table_t{1, &priority_entry} : amqp_empty_table;
  amqp_basic_consume(conn, kChannel, Bytes(queue), amqp_empty_bytes, /*no_local=*/0, /*no_ack=*/0,
                     /*exclusive=*/0, arguments);
  CheckRpc("consume " + queue);
}

// Reads the non-delivery frame amqp_consume_message stopped at. Closes and cancellations end
// this connection; the consumer then reconnects and redeclares.
void Connection::Impl::HandleUnexpectedFrame() {
  amqp_frame_t frame{};
  CheckStatus("read frame", amqp_simple_wait_frame(conn, &frame));
  if (frame.frame_type != AMQP_FRAME_METHOD) {
    return;
  }
  switch (frame.payload.method.id) {
    case AMQP_CONNECTION_CLOSE_METHOD:
    case AMQP_CHANNEL_CLOSE_METHOD:
      FailOnClose("consume", frame.payload.method);
    case AMQP_BASIC_CANCEL_METHOD:
      Throw("broker cancelled the consumer");
    default:
      spdlog::debug("ignoring {} while consuming", detail::MethodName(frame.payload.method.id));
  }
}

void Connection::Impl::SettleDelivery(const std::string& queue, const Delivery& delivery,
                                      Disposition disposition, DeadLetterPublisher& dead_letters) {
  const std::uint64_t tag = delivery.delivery_tag;
  switch (disposition) {
    case Disposition::kAck:
      CheckStatus("ack", amqp_basic_ack(conn, kChannel, tag, 0));
      return;
    case Disposition::kRetry:
      CheckStatus("nack", amqp_basic_nack(conn, kChannel, tag, /*multiple=*/0, /*requeue=*/1));
      return;
    case Disposition::kDeadLetter: {
      // Ack only once the copy with its reason is confirmed in the DLQ; otherwise the broker
      // dead-letters it on reject (reason "rejected" only), so it is never lost either way.
      const bool published = dead_letters.Publish(delivery);
      core::ScopedLogFields scope(
          MessageLogFields(delivery.message).Add("queue", queue).Add("error", delivery.failure));
      spdlog::warn("dead-lettered message {} from {} ({})", delivery.message.message_id, queue,
                   published ? "with its reason" : "rejected: the broker dead-letters it without a reason");
      if (published) {
        CheckStatus("ack dead-lettered", amqp_basic_ack(conn, kChannel, tag, 0));
      } else {
        CheckStatus("reject", amqp_basic_reject(conn, kChannel, tag, /*requeue=*/0));
      }
      return;
    }
  }
}

namespace {

const char* Describe(Disposition disposition) {
  switch (disposition) {
    case Disposition::kAck:
      return "ack";
    case Disposition::kRetry:
      return "retry";
    case Disposition::kDeadLetter:
      return "dead_letter";
  }
  return "unknown";
}

// One debug line per delivery with what the handler decided (info would add a line per message
// at full load).
void LogSettled(const std::string& queue, const std::vector<Delivery>& batch,
                const std::vector<Disposition>& dispositions) {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    core::LogFields fields = MessageLogFields(batch[i].message);
    fields.Add("queue", queue).Add("outcome", Describe(dispositions[i]));
    if (!batch[i].failure.empty()) fields.Add("error", batch[i].failure);
    core::ScopedLogFields scope(fields);
    spdlog::debug("consumed {}: {}", batch[i].message.type, Describe(dispositions[i]));
  }
}

}  // namespace

// Settles a whole batch: one multiple-ack when every message is acked (the usual case: every
// unsettled delivery on the channel is in the batch), otherwise one frame per message.
void Connection::Impl::SettleBatch(const std::string& queue, const std::vector<Delivery>& batch,
                                   const std::vector<Disposition>& dispositions,
                                   DeadLetterPublisher& dead_letters) {
  LogSettled(queue, batch, dispositions);
  const bool all_acked = std::all_of(dispositions.begin(), dispositions.end(),
                                     [](Disposition d) { return d == Disposition::kAck; });
  if (all_acked && !batch.empty()) {
    CheckStatus("ack", amqp_basic_ack(conn, kChannel, batch.back().delivery_tag, /*multiple=*/1));
    return;
  }
  for (std::size_t i = 0; i < batch.size(); ++i)
    SettleDelivery(queue, batch[i], dispositions[i], dead_letters);
}

std::optional<Delivery> Connection::Impl::NextDelivery(const std::string& queue, const timeval& wait) {
  amqp_maybe_release_buffers(conn);
  amqp_envelope_t envelope{};
  const amqp_rpc_reply_t reply = amqp_consume_message(conn, &envelope, &wait, 0);
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
    if (reply.library_error == AMQP_STATUS_TIMEOUT) {
      return std::nullopt;
    }
    if (reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
      HandleUnexpectedFrame();
      return std::nullopt;
    }
  }
  CheckReply("consume " + queue, reply);
  detail::EnvelopeGuard guard(envelope);
  return detail::ToDelivery(envelope.message, envelope.delivery_tag, envelope.redelivered != 0,
                            ToString(envelope.exchange), ToString(envelope.routing_key));
}

void Connection::Impl::RenewWorn(const std::string& queue, int delivery_limit, std::vector<Delivery>& batch,
                                 DeadLetterPublisher& publisher) {
  std::vector<Delivery> kept;
  kept.reserve(batch.size());
  for (Delivery& delivery : batch) {
    // Not renewed (not worn, renewed enough, or the copy was not confirmed): handled as it is.
    if (delivery.delivery_count < RenewFrom(delivery_limit) || Renewals(delivery.message) >= kMaxRenewals ||
        !publisher.Renew(delivery)) {
      kept.push_back(std::move(delivery));
      continue;
    }
    CheckStatus("ack renewed", amqp_basic_ack(conn, kChannel, delivery.delivery_tag, 0));
    core::ScopedLogFields scope(MessageLogFields(delivery.message).Add("queue", queue));
    spdlog::warn("renewed message {} after {} deliveries (renewal {} of at most {})",
                 delivery.message.message_id, delivery.delivery_count, Renewals(delivery.message) + 1,
                 kMaxRenewals);
  }
  batch = std::move(kept);
}

void Connection::Impl::ConsumeUntilStopped(const std::string& queue, std::size_t max_batch,
                                           int delivery_limit, const Consumer::BatchHandler& handler,
                                           const std::stop_token& stop) {
  const timeval poll = detail::ToTimeval(kConsumePoll);
  const timeval no_wait{0, 0};
  std::vector<Delivery> batch;
  DeadLetterPublisher dead_letters(settings, queue);
  // Between a failed batch and its requeue: a failure the handler did not class as transient
  // would otherwise come back at once, and spend the deliveries up to the limit in seconds.
  core::Backoff failures;
  while (!stop.stop_requested()) {
    batch.clear();
    if (auto first = NextDelivery(queue, poll)) {
      batch.push_back(std::move(*first));
    } else {
      continue;
    }
    // Whatever else the broker has already sent joins the batch: under load the prefetch window
    // is full and one transaction applies many messages; when idle a message waits for nothing.
    while (batch.size() < max_batch) {
      auto next = NextDelivery(queue, no_wait);
      if (!next) break;
      batch.push_back(std::move(*next));
    }
    RenewWorn(queue, delivery_limit, batch, dead_letters);
    if (batch.empty()) continue;
    std::vector<Disposition> dispositions(batch.size(), Disposition::kRetry);
    bool failed = false;
    try {
      const HandlingConsumer handling(this);
      dispositions = handler(batch);
    } catch (const std::exception& e) {
      // A handler failure is treated as transient; the delivery limit (and kMaxRenewals) bounds the retries.
      spdlog::error("handler failed for {} message(s) from {}: {}", batch.size(), queue, e.what());
      for (const Delivery& delivery : batch) delivery.failure = e.what();
      failed = true;
      core::WaitFor(stop, failures.Next());
    }
    if (!failed) failures.Reset();
    if (dispositions.size() != batch.size()) {
      spdlog::error("handler settled {} of {} messages from {}; retrying them all", dispositions.size(),
                    batch.size(), queue);
      dispositions.assign(batch.size(), Disposition::kRetry);
    }
    SettleBatch(queue, batch, dispositions, dead_letters);
  }
}

Connection::Impl::QueueCounts Connection::Impl::CountQueue(const std::string& queue) {
  EnsureUsable();
  const amqp_queue_declare_ok_t* ok = amqp_queue_declare(conn, kChannel, Bytes(queue), /*passive=*/1,
                                                         /*durable=*/0, /*exclusive=*/0,
                                                         /*auto_delete=*/0, amqp_empty_table);
  CheckRpc("look up queue " + queue);
  if (ok == nullptr) return {};
  return {.messages = ok->message_count, .consumers = ok->consumer_count};
}

std::uint64_t Connection::QueueDepth(const std::string& queue) { return impl_->CountQueue(queue).messages; }

std::uint64_t Connection::QueueConsumers(const std::string& queue) {
  return impl_->CountQueue(queue).consumers;
}

std::vector<Delivery> Connection::Get(const std::string& queue, std::size_t max, bool remove) {
  return impl_->Get(queue, max, remove);
}

Consumer::Consumer(AmqpSettings settings, QueueSpec queue, std::uint16_t prefetch, std::size_t max_batch,
                   int priority)
    : settings_(std::move(settings)),
      queue_(std::move(queue)),
      prefetch_(prefetch),
      max_batch_(std::clamp<std::size_t>(max_batch, 1, prefetch)),
      priority_(priority) {}

void Consumer::Run(const Handler& handler, std::stop_token stop) {
  RunBatches(
      [&handler](const std::vector<Delivery>& batch) {
        std::vector<Disposition> dispositions;
        dispositions.reserve(batch.size());
        for (const Delivery& delivery : batch) {
          Disposition disposition = Disposition::kRetry;
          try {
            disposition = handler(delivery);
          } catch (const std::exception& e) {
            spdlog::error("handler failed for message {}: {}", delivery.message.message_id, e.what());
            delivery.failure = e.what();
          }
          dispositions.push_back(disposition);
        }
        return dispositions;
      },
      std::move(stop));
}

// NOLINTNEXTLINE(performance-unnecessary-value-param)
void Consumer::RunBatches(const BatchHandler& handler, std::stop_token stop) {
  core::RunWithReconnect("consumer of " + queue_.name, stop, [&] {
    Connection connection(settings_);
    connection.DeclareQueue(queue_);
    connection.impl_->StartConsuming(queue_.name, prefetch_, priority_);
    spdlog::info("consuming {} on {} with prefetch {}, up to {} per batch, priority {}", queue_.name,
                 connection.Node(), prefetch_, max_batch_, priority_);
    connection.impl_->ConsumeUntilStopped(queue_.name, max_batch_, queue_.delivery_limit, handler, stop);
  });
}

}  // namespace kpo::messaging
