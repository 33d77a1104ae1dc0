#include "orders/messaging/events.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/ids.hpp"
#include "messaging/inbox.hpp"

namespace kpo::orders {
namespace {

messaging::Delivery Result(std::string key, std::string body) {
  messaging::Delivery delivery;
  delivery.message.routing_key = std::move(key);
  delivery.message.body = std::move(body);
  return delivery;
}

constexpr const char* kOrder = "0a1b2c3d-0000-4000-8000-000000000001";
constexpr const char* kUser = "0a1b2c3d-0000-4000-8000-000000000002";

TEST(Events, OrderCreatedFollowsTheContract) {
  auto order = NewOrder(kOrder, kUser, 700, "x", *core::ParseRfc3339("2026-11-25T10:00:00Z"));
  auto message = OrderCreatedMessage(order, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  EXPECT_EQ(message.exchange, "orders");
  EXPECT_EQ(message.routing_key, "order.created");
  EXPECT_EQ(message.type, "OrderCreated");
  EXPECT_EQ(message.correlation_id, kOrder);
  EXPECT_TRUE(core::IsUuid(message.message_id));
  auto body = boost::json::parse(message.body).as_object();
  EXPECT_EQ(body.at("orderId").as_string(), kOrder);
  EXPECT_EQ(body.at("userId").as_string(), kUser);
  EXPECT_EQ(body.at("amount").as_int64(), 700);
  EXPECT_EQ(body.at("createdAt").as_string(), "2026-11-25T10:00:00.000000Z");
  EXPECT_EQ(body.size(), 4U);
}

TEST(Events, ParsesPaymentSucceeded) {
  auto result = ParsePaymentResult(
      Result("payment.succeeded", std::string(R"({"orderId":")") + kOrder + R"(","userId":")" + kUser +
                                      R"(","amount":700,"entryId":")" + kOrder +
                                      R"(","processedAt":"2026-11-25T10:00:01Z"})"));
  EXPECT_TRUE(result.outcome.succeeded);
  EXPECT_EQ(result.order_id, kOrder);
  EXPECT_EQ(result.processed_at, "2026-11-25T10:00:01.000000Z");
}

TEST(Events, ParsesPaymentFailedWithReason) {
  auto result = ParsePaymentResult(
      Result("payment.failed",
             std::string(R"({"orderId":")") + kOrder + R"(","userId":")" + kUser +
                 R"(","amount":700,"reason":"insufficient_funds","processedAt":"2026-11-25T10:00:01Z"})"));
  EXPECT_FALSE(result.outcome.succeeded);
  EXPECT_EQ(result.outcome.reason, FailureReason::kInsufficientFunds);
}

TEST(Events, MalformedResultsArePoison) {
  const std::string ok_prefix = std::string(R"({"orderId":")") + kOrder + R"(","userId":")" + kUser + R"(",)";
  EXPECT_THROW(ParsePaymentResult(Result("payment.failed", "not json")), messaging::PoisonMessage);
  EXPECT_THROW(ParsePaymentResult(Result("payment.other", "{}")), messaging::PoisonMessage);
  EXPECT_THROW(ParsePaymentResult(Result(
                   "payment.failed",
                   ok_prefix + R"("amount":7,"reason":"bored","processedAt":"2026-11-25T10:00:01Z"})")),
               messaging::PoisonMessage);
  EXPECT_THROW(ParsePaymentResult(
                   Result("payment.succeeded",
                          ok_prefix + R"("amount":"7","entryId":"x","processedAt":"2026-11-25T10:00:01Z"})")),
               messaging::PoisonMessage);
  EXPECT_THROW(ParsePaymentResult(Result("payment.failed", R"({"orderId":"nope"})")),
               messaging::PoisonMessage);
}

}  // namespace
}  // namespace kpo::orders
