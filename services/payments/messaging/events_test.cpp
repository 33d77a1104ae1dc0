#include "payments/messaging/events.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/ids.hpp"
#include "messaging/inbox.hpp"

namespace kpo::payments {
namespace {

constexpr const char* kOrder = "0a1b2c3d-0000-4000-8000-000000000001";
constexpr const char* kUser = "0a1b2c3d-0000-4000-8000-000000000002";

messaging::Delivery WithBody(std::string body) {
  messaging::Delivery delivery;
  delivery.message.body = std::move(body);
  return delivery;
}

TEST(Events, ParsesOrderCreated) {
  auto order = ParseOrderCreated(WithBody(std::string(R"({"orderId":")") + kOrder + R"(","userId":")" +
                                          kUser + R"(","amount":250,"createdAt":"2026-11-25T10:00:00Z"})"));
  EXPECT_EQ(order.order_id, kOrder);
  EXPECT_EQ(order.user_id, kUser);
  EXPECT_EQ(order.amount, 250);
}

TEST(Events, MalformedOrderCreatedIsPoison) {
  const std::string ids = std::string(R"({"orderId":")") + kOrder + R"(","userId":")" + kUser + R"(",)";
  for (const auto& body :
       {std::string("garbage"), std::string("[]"), ids + R"("amount":0})", ids + R"("amount":1.5})",
        ids + R"("amount":"5"})", std::string(R"({"amount":5})")}) {
    EXPECT_THROW(ParseOrderCreated(WithBody(body)), messaging::PoisonMessage) << body;
  }
}

TEST(Events, ResultMessagesFollowTheContract) {
  OrderCreated order{kOrder, kUser, 250};
  auto ok = PaymentSucceededMessage(order, kOrder, "2026-11-25T10:00:01.000000Z", "tp");
  EXPECT_EQ(ok.exchange, "payments");
  EXPECT_EQ(ok.routing_key, "payment.succeeded");
  EXPECT_EQ(ok.type, "PaymentSucceeded");
  EXPECT_EQ(ok.correlation_id, kOrder);
  EXPECT_TRUE(core::IsUuid(ok.message_id));
  auto body = boost::json::parse(ok.body).as_object();
  for (const auto* key : {"orderId", "userId", "amount", "entryId", "processedAt"})
    EXPECT_TRUE(body.contains(key));
  EXPECT_EQ(body.size(), 5U);

  auto failed =
      PaymentFailedMessage(order, ChargeFailure::kAccountNotFound, "2026-11-25T10:00:01.000000Z", "tp");
  EXPECT_EQ(failed.routing_key, "payment.failed");
  auto failed_body = boost::json::parse(failed.body).as_object();
  EXPECT_EQ(failed_body.at("reason").as_string(), "account_not_found");
  EXPECT_EQ(failed_body.size(), 5U);
}

TEST(Events, ContinuesTheIncomingTrace) {
  messaging::Delivery delivery;
  delivery.message.headers.emplace_back("traceparent",
                                        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  EXPECT_EQ(ContinueTrace(delivery).substr(0, 35), "00-0af7651916cd43dd8448eb211c80319c");
  EXPECT_TRUE(core::TraceParent::Parse(ContinueTrace(messaging::Delivery{})));
}

}  // namespace
}  // namespace kpo::payments
