#include "orders/app/place_order.hpp"

#include "core/ids.hpp"
#include "messaging/outbox.hpp"
#include "orders/domain/order_json.hpp"
#include "orders/messaging/events.hpp"
#include "orders/storage/order_repository.hpp"

namespace kpo::orders {

std::vector<Order> PlaceOrders(db::Transaction& tx, std::span<const OrderDraft> drafts,
                               messaging::OutboxHandoff* relay_handoff) {
  std::vector<Order> orders;
  std::vector<std::string> order_jsons;
  std::vector<messaging::Message> events;
  orders.reserve(drafts.size());
  order_jsons.reserve(drafts.size());
  events.reserve(drafts.size());
  for (const OrderDraft& draft : drafts) {
    auto order = NewOrder(core::NewUuid(), draft.user_id, draft.amount, draft.description, core::Now());
    order_jsons.push_back(OrderToJson(order));
    events.push_back(OrderCreatedMessage(order, draft.traceparent));
    orders.push_back(std::move(order));
  }
  OrderRepository::InsertMany(tx, orders, order_jsons);
  messaging::EnqueueOutbox(tx, events, relay_handoff);
  return orders;
}

}  // namespace kpo::orders
