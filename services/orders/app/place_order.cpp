#include "orders/app/place_order.hpp"

#include "core/ids.hpp"
#include "messaging/outbox.hpp"
#include "orders/domain/order_json.hpp"
#include "orders/messaging/events.hpp"
#include "orders/storage/order_repository.hpp"

namespace kpo::orders {

Order PlaceOrder(db::Transaction& tx, const std::string& user_id, core::Minor amount, std::string description,
                 const std::string& traceparent) {
  auto order = NewOrder(core::NewUuid(), user_id, amount, std::move(description), core::Now());
  OrderRepository::Insert(tx, order, OrderToJson(order));
  messaging::EnqueueOutbox(tx, OrderCreatedMessage(order, traceparent));
  return order;
}

}  // namespace kpo::orders
