#include "orders/domain/order_json.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace kpo::orders {
namespace {

TEST(OrderJson, FollowsTheContractShape) {
  auto order = NewOrder("0a1b2c3d-0000-4000-8000-000000000001", "0a1b2c3d-0000-4000-8000-000000000002", 150,
                        "Чай \"green\"", *core::ParseRfc3339("2026-11-25T10:00:00Z"));
  auto json = boost::json::parse(OrderToJson(order)).as_object();
  EXPECT_EQ(json.at("amount").as_int64(), 150);
  EXPECT_EQ(json.at("description").as_string(), "Чай \"green\"");
  EXPECT_EQ(json.at("status").as_string(), "Created");
  EXPECT_TRUE(json.at("failureReason").is_null());
  EXPECT_EQ(json.at("timeline").as_array().at(0).as_object().at("step").as_string(), "created");
  for (const auto* key : {"id", "userId", "createdAt", "updatedAt"})
    EXPECT_TRUE(json.at(key).is_string()) << key;
}

TEST(OrderJson, CancelledOrderCarriesItsReason) {
  auto order = NewOrder("a", "b", 1, "x", core::Now());
  order.status = OrderStatus::kCancelled;
  order.failure_reason = FailureReason::kAccountNotFound;
  auto json = boost::json::parse(OrderToJson(order)).as_object();
  EXPECT_EQ(json.at("failureReason").as_string(), "account_not_found");
}

TEST(OrderJson, PageHasItemsAndNext) {
  auto page = boost::json::parse(OrderPageToJson({}, std::nullopt)).as_object();
  EXPECT_TRUE(page.at("items").as_array().empty());
  EXPECT_TRUE(page.at("next").is_null());
}

}  // namespace
}  // namespace kpo::orders
