#include "orders/messaging/events.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/ids.hpp"
#include "messaging/inbox.hpp"

namespace kpo::orders {
namespace {

using messaging::PoisonMessage;

const boost::json::value& Field(const boost::json::object& body, std::string_view name) {
  const auto* value = body.if_contains(name);
  if (value == nullptr) throw PoisonMessage("missing field " + std::string(name));
  return *value;
}

std::string UuidField(const boost::json::object& body, std::string_view name) {
  const auto& value = Field(body, name);
  auto id = value.is_string() ? core::NormalizeUuid(value.get_string()) : std::nullopt;
  if (!id) throw PoisonMessage(std::string(name) + " is not a UUID");
  return *id;
}

}  // namespace

messaging::Message OrderCreatedMessage(const Order& order, const std::string& traceparent) {
  boost::json::object body;
  body["orderId"] = order.id;
  body["userId"] = order.user_id;
  body["amount"] = order.amount;
  body["createdAt"] = order.created_at;
  return messaging::NewMessage(contract::kOrdersExchange, contract::kOrderCreatedKey,
                               contract::kOrderCreatedType, order.id, boost::json::serialize(body),
                               traceparent);
}

PaymentResult ParsePaymentResult(const messaging::Delivery& delivery) {
  const auto& key = delivery.message.routing_key;
  const bool succeeded = key == contract::kPaymentSucceededKey;
  if (!succeeded && key != contract::kPaymentFailedKey) throw PoisonMessage("unexpected routing key " + key);
  boost::system::error_code ec;
  auto parsed = boost::json::parse(delivery.message.body, ec);
  if (ec || !parsed.is_object()) throw PoisonMessage("body is not a JSON object");
  const auto& body = parsed.as_object();
  PaymentResult result;
  result.order_id = UuidField(body, "orderId");
  result.user_id = UuidField(body, "userId");
  const auto& amount = Field(body, "amount");
  if (!amount.is_int64() || !core::IsValidAmount(amount.get_int64()))
    throw PoisonMessage("amount is invalid");
  result.amount = amount.get_int64();
  const auto& processed = Field(body, "processedAt");
  auto at = processed.is_string() ? core::ParseRfc3339(processed.get_string()) : std::nullopt;
  if (!at) throw PoisonMessage("processedAt is not an RFC 3339 time");
  result.processed_at = core::FormatRfc3339(*at);
  result.outcome.succeeded = succeeded;
  if (succeeded) {
    result.entry_id = UuidField(body, "entryId");
  } else {
    const auto& reason = Field(body, "reason");
    result.outcome.reason = reason.is_string() ? ParseFailureReason(reason.get_string()) : std::nullopt;
    if (!result.outcome.reason) throw PoisonMessage("reason is not a known failure reason");
  }
  return result;
}

}  // namespace kpo::orders
