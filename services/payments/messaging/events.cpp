#include "payments/messaging/events.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "messaging/inbox.hpp"

namespace kpo::payments {
namespace {

using messaging::PoisonMessage;

std::string UuidField(const boost::json::object& body, std::string_view name) {
  const auto* value = body.if_contains(name);
  auto id = value != nullptr && value->is_string() ? core::NormalizeUuid(value->get_string()) : std::nullopt;
  if (!id) throw PoisonMessage(std::string(name) + " is missing or not a UUID");
  return *id;
}

messaging::Message ResultMessage(const OrderCreated& order, std::string_view routing_key,
                                 std::string_view type, boost::json::object body,
                                 const std::string& traceparent) {
  body["orderId"] = order.order_id;
  body["userId"] = order.user_id;
  body["amount"] = order.amount;
  return messaging::NewMessage(contract::kPaymentsExchange, routing_key, type, order.order_id,
                               boost::json::serialize(body), traceparent);
}

}  // namespace

OrderCreated ParseOrderCreated(const messaging::Delivery& delivery) {
  boost::system::error_code ec;
  auto parsed = boost::json::parse(delivery.message.body, ec);
  if (ec || !parsed.is_object()) throw PoisonMessage("body is not a JSON object");
  const auto& body = parsed.as_object();
  OrderCreated order;
  order.order_id = UuidField(body, "orderId");
  order.user_id = UuidField(body, "userId");
  const auto* amount = body.if_contains("amount");
  if (amount == nullptr || !amount->is_int64() || !core::IsValidAmount(amount->get_int64())) {
    throw PoisonMessage("amount is missing or out of range");
  }
  order.amount = amount->get_int64();
  return order;
}

messaging::Message PaymentSucceededMessage(const OrderCreated& order, const std::string& entry_id,
                                           const std::string& processed_at, const std::string& traceparent) {
  return ResultMessage(order, contract::kPaymentSucceededKey, contract::kPaymentSucceededType,
                       {{"entryId", entry_id}, {"processedAt", processed_at}}, traceparent);
}

messaging::Message PaymentFailedMessage(const OrderCreated& order, ChargeFailure reason,
                                        const std::string& processed_at, const std::string& traceparent) {
  return ResultMessage(order, contract::kPaymentFailedKey, contract::kPaymentFailedType,
                       {{"reason", ToString(reason)}, {"processedAt", processed_at}}, traceparent);
}

std::string ContinueTrace(const messaging::Delivery& delivery) {
  for (const auto& [name, value] : delivery.message.headers) {
    if (name == "traceparent") {
      if (auto parent = core::TraceParent::Parse(value)) return parent->Child().ToString();
    }
  }
  return core::TraceParent::New().ToString();
}

}  // namespace kpo::payments
