// Dead letters that say why: the consumer publishes a refused message to its queue's DLQ itself,
// with the reason in headers, instead of basic.reject (which records only "rejected").
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <string_view>

#include "core/clock.hpp"
#include "messaging/amqp_impl.hpp"

namespace kpo::messaging {
namespace {

constexpr std::size_t kMaxErrorBytes = 1000;

// At most `max` bytes, cut before a UTF-8 continuation byte so the header stays valid text.
std::string Bounded(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

bool IsOurHeader(std::string_view key) { return key.starts_with("x-kpo-"); }

// The copy a worn delivery is renewed as: the same message, to the queue itself (kRenewalsHeader).
Message RenewalOf(const Delivery& delivery, const std::string& queue) {
  Message copy = delivery.message;
  std::erase_if(copy.headers, [](const auto& header) {
    return header.first == kOriginExchangeHeader || header.first == kOriginKeyHeader ||
           header.first == kRenewalsHeader;
  });
  copy.headers.emplace_back(kOriginExchangeHeader, delivery.message.exchange);
  copy.headers.emplace_back(kOriginKeyHeader, delivery.message.routing_key);
  copy.headers.emplace_back(kRenewalsHeader, std::to_string(Renewals(delivery.message) + 1));
  copy.exchange = "";  // the default exchange: routed to the queue of this name only
  copy.routing_key = queue;
  return copy;
}

}  // namespace

int Renewals(const Message& message) {
  for (const auto& [name, value] : message.headers) {
    int renewals = 0;
    if (name == kRenewalsHeader &&
        std::from_chars(value.data(), value.data() + value.size(), renewals).ec == std::errc{}) {
      return renewals;
    }
  }
  return 0;
}

core::LogFields MessageLogFields(const Message& message) {
  core::LogFields fields;
  for (const auto& [name, value] : message.headers) {
    if (name == "traceparent") fields.AddTrace(value);
  }
  fields.Add("order_id", message.correlation_id)
      .Add("message_id", message.message_id)
      .Add("type", message.type);
  return fields;
}

Message DeadLetterOf(const Delivery& delivery, const std::string& queue, const std::string& service) {
  Message dead = delivery.message;
  // A replayed message that fails again says why it failed this time.
  std::erase_if(dead.headers, [](const auto& header) { return IsOurHeader(header.first); });
  dead.exchange = kDeadLetterExchange;
  dead.routing_key = queue;
  const std::string reason = delivery.failure.empty() ? "refused by the handler" : delivery.failure;
  dead.headers.emplace_back(kErrorHeader, Bounded(reason, kMaxErrorBytes));
  dead.headers.emplace_back(kServiceHeader, service);
  dead.headers.emplace_back(kFailedAtHeader, core::FormatRfc3339(core::Now()));
  dead.headers.emplace_back(kQueueHeader, queue);
  dead.headers.emplace_back(kOriginExchangeHeader, delivery.message.exchange);
  dead.headers.emplace_back(kOriginKeyHeader, delivery.message.routing_key);
  return dead;
}

DeadLetterPublisher::DeadLetterPublisher(AmqpSettings settings, std::string queue)
    : settings_(std::move(settings)), queue_(std::move(queue)) {
  settings_.connection_name += "-dead-letters";
}

DeadLetterPublisher::~DeadLetterPublisher() = default;

bool DeadLetterPublisher::Publish(const Delivery& delivery) {
  // Strip the suffix again: the header names the service, not the connection.
  const std::string service = settings_.connection_name.substr(
      0, settings_.connection_name.size() - std::string_view("-dead-letters").size());
  // Not confirmed: the caller falls back to basic.reject, which the broker dead-letters without a reason.
  return PublishOne(DeadLetterOf(delivery, queue_, service), delivery, queue_ + ".dlq");
}

bool DeadLetterPublisher::Renew(const Delivery& delivery) {
  // Not confirmed: the caller handles the worn delivery as it is, and the delivery limit applies.
  return PublishOne(RenewalOf(delivery, queue_), delivery, queue_);
}

bool DeadLetterPublisher::PublishOne(const Message& message, const Delivery& delivery,
                                     std::string_view where) {
  // Dead letters and renewals are rare, and nothing reads the broker's heartbeats on this connection
  // in between: after a quiet minute the broker has closed it. A connection opened for an earlier
  // message that fails at once (closed, not slow: a timeout takes settings_.timeout and would take it
  // again) is therefore replaced and the message tried once more; any other failure means "not
  // confirmed". Should the first try have reached the queue after all, the copy is there twice, which
  // the consumers' inbox (a renewal) and a replay (a dead letter) take as one.
  for (bool reused = connection_ != nullptr;; reused = false) {
    const auto started = std::chrono::steady_clock::now();
    // The edge of this side path: any failure means "not confirmed" (or one more try, above).
    try {
      if (!connection_) connection_ = std::make_unique<Connection>(settings_);
      return connection_->PublishConfirmed({message}, settings_.timeout).front();
    } catch (const std::exception& error) {
      connection_.reset();
      if (reused && std::chrono::steady_clock::now() - started < settings_.timeout / 2) {
        spdlog::info("connection for {} lost while idle ({}): opening a new one", where, error.what());
        continue;
      }
      spdlog::warn("could not publish {} to {}: {}", delivery.message.message_id, where, error.what());
      return false;
    }
  }
}

}  // namespace kpo::messaging
