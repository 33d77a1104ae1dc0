#include "orders/domain/order_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace kpo::orders {
namespace {

boost::json::object ToObject(const Order& order) {
  boost::json::array timeline;
  for (const auto& entry : order.timeline)
    timeline.push_back(boost::json::object{{"step", entry.step}, {"at", entry.at}});
  boost::json::object out;
  out["id"] = order.id;
  out["userId"] = order.user_id;
  out["amount"] = order.amount;
  out["description"] = order.description;
  out["status"] = ToString(order.status);
  out["failureReason"] = order.failure_reason ? boost::json::value(ToString(*order.failure_reason)) : nullptr;
  out["createdAt"] = order.created_at;
  out["updatedAt"] = order.updated_at;
  out["timeline"] = std::move(timeline);
  return out;
}

}  // namespace

std::string OrderToJson(const Order& order) { return boost::json::serialize(ToObject(order)); }

std::string OrderPageToJson(const std::vector<Order>& items, const std::optional<std::string>& next) {
  boost::json::array array;
  for (const auto& order : items) array.push_back(ToObject(order));
  boost::json::object page;
  page["items"] = std::move(array);
  page["next"] = next ? boost::json::value(*next) : nullptr;
  return boost::json::serialize(page);
}

}  // namespace kpo::orders
