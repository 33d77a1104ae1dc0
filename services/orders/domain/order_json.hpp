#pragma once
// The order as the public API shows it:
// {"id","userId","amount","description","status","failureReason","createdAt","updatedAt","timeline"}.
#include <string>
#include <vector>

#include "orders/domain/order.hpp"

namespace kpo::orders {

std::string OrderToJson(const Order& order);
// {"items":[...],"next":<id or null>}
std::string OrderPageToJson(const std::vector<Order>& items, const std::optional<std::string>& next);

}  // namespace kpo::orders
