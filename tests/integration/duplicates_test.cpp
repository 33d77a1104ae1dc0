// At-least-once delivery made exactly-once in effect: redelivered and re-sent events never charge
// or transition twice.
#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "support/fixture.hpp"
#include "support/stack.hpp"
#include "support/tap.hpp"

namespace kpo::testing {
namespace {

std::int64_t DuplicatesSeen(std::uint16_t port) {
  return MetricValue(port, R"(messages_consumed_total{outcome="duplicate"})");
}

void Publish(const std::vector<messaging::Message>& messages) {
  messaging::Connection broker(Broker());
  auto confirmed = broker.PublishConfirmed(messages, std::chrono::seconds(10));
  for (bool ok : confirmed) ASSERT_TRUE(ok);
}

std::int64_t Count(db::Connection& db, const std::string& sql, const std::string& param) {
  return db.Exec(sql, {param}).Int(0, "n");
}

// Waits until payments has recorded each of `messages` in its inbox (by message id).
bool AllInInbox(db::Connection& db, const std::vector<messaging::Message>& messages) {
  std::string ids = "{";
  for (const auto& message : messages) ids += (ids.size() > 1 ? "," : "") + message.message_id;
  ids += "}";
  return WaitUntil(
      [&] {
        return Count(db, "SELECT count(*) AS n FROM inbox WHERE message_id = ANY($1::uuid[])", ids) ==
               static_cast<std::int64_t>(messages.size());
      },
      std::chrono::seconds(20));
}

// Waits until the service has published everything it enqueued: its outbox holds no
// unpublished rows.
bool OutboxDrained(db::Connection& db) {
  return WaitUntil(
      [&] { return db.Exec("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL").Int(0, "n") == 0; },
      std::chrono::seconds(20));
}

class Duplicates : public SharedSystemTest<Stack> {
 protected:
  // A user with 1000 on the account and a finished order of 300.
  std::pair<std::string, std::string> FinishedOrder() {
    const auto user = system().api.NewFundedUser(1'000);
    const std::string id(system().api.PlaceOrder(user, 300).at("id").as_string());
    EXPECT_EQ(system().api.WaitForFinalStatus(user, id).at("status").as_string(), "Finished");
    return {user, id};
  }

  // Copies of the events as the relays published them.
  Tap order_events_{"orders", {"order.created"}};
  Tap payment_results_{"payments", {"payment.succeeded", "payment.failed"}};
};

TEST_F(Duplicates, SameOrderCreatedDeliveredFiveTimesChargesOnce) {
  auto [user, order_id] = FinishedOrder();
  auto original = order_events_.WaitFor(order_id, std::chrono::seconds(10));
  const auto before = DuplicatesSeen(kPaymentsTestPort);
  Publish(std::vector<messaging::Message>(5, original));
  ASSERT_TRUE(
      WaitUntil([&] { return DuplicatesSeen(kPaymentsTestPort) >= before + 5; }, std::chrono::seconds(20)));

  auto payments_db = PaymentsDb();
  EXPECT_EQ(Count(payments_db, "SELECT count(*) AS n FROM entries WHERE order_id = $1 AND kind = 'charge'",
                  order_id),
            1);
  ASSERT_TRUE(OutboxDrained(payments_db));
  EXPECT_EQ(payment_results_.For(order_id).size(), 1U) << "one result event, whatever the deliveries";
  EXPECT_EQ(system().api.Balance(user), 700);
}

TEST_F(Duplicates, DifferentMessageIdsForOneOrderChargeOnce) {
  auto [user, order_id] = FinishedOrder();
  auto original = order_events_.WaitFor(order_id, std::chrono::seconds(10));
  std::vector<messaging::Message> copies(3, original);
  for (auto& copy : copies) copy.message_id = core::NewUuid();
  Publish(copies);
  auto payments_db = PaymentsDb();
  ASSERT_TRUE(AllInInbox(payments_db, copies));
  EXPECT_EQ(Count(payments_db, "SELECT count(*) AS n FROM entries WHERE order_id = $1 AND kind = 'charge'",
                  order_id),
            1);
  ASSERT_TRUE(OutboxDrained(payments_db));
  EXPECT_EQ(payment_results_.For(order_id).size(), 1U) << "one result event, whatever the deliveries";
  EXPECT_EQ(system().api.Balance(user), 700);
}

TEST_F(Duplicates, ConcurrentDeliveriesOfNewMessagesForOneOrderChargeOnce) {
  // Payments has not seen this order yet: ten different messages race for its one charge.
  const auto user = system().api.NewFundedUser(1'000);
  const auto order_id = core::NewUuid();
  std::vector<messaging::Message> events;
  for (int i = 0; i < 10; ++i) events.push_back(OrderCreatedEvent(user, order_id, 400));
  Publish(events);
  auto payments_db = PaymentsDb();
  ASSERT_TRUE(AllInInbox(payments_db, events));
  EXPECT_EQ(Count(payments_db, "SELECT count(*) AS n FROM entries WHERE order_id = $1 AND kind = 'charge'",
                  order_id),
            1);
  EXPECT_EQ(system().api.Balance(user), 600);
  // The result names an order the orders service never had: it is dead-lettered there. The queue
  // may hold earlier runs' dead letters (they are left for people to inspect), and the ones looked
  // at are returned to it: the whole queue is searched, not its first hundred.
  ASSERT_TRUE(WaitUntil(
      [&] {
        messaging::Connection broker(Broker());
        for (const auto& d : broker.Get("orders.payment-results.dlq", 100'000, false)) {
          if (d.message.correlation_id == order_id) return true;
        }
        return false;
      },
      std::chrono::seconds(20)));
}

TEST_F(Duplicates, DuplicatePaymentResultDoesNotTransitionAgain) {
  auto [user, order_id] = FinishedOrder();
  const auto finished = system().api.GetOrder(user, order_id);
  auto result = payment_results_.WaitFor(order_id, std::chrono::seconds(10));
  // The same result three more times, and a contradicting one under a new message id.
  messaging::Message contradiction = result;
  contradiction.message_id = core::NewUuid();
  contradiction.routing_key = "payment.failed";
  contradiction.type = "PaymentFailed";
  contradiction.body =
      R"({"orderId":")" + order_id + R"(","userId":")" + user +
      R"(","amount":300,"reason":"insufficient_funds","processedAt":"2026-11-25T10:00:00Z"})";
  const auto before = DuplicatesSeen(kOrdersTestPort);
  Publish({result, result, result, contradiction});
  auto orders_db = OrdersDb();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return DuplicatesSeen(kOrdersTestPort) >= before + 3 &&
               Count(orders_db, "SELECT count(*) AS n FROM inbox WHERE message_id = $1",
                     contradiction.message_id) == 1;
      },
      std::chrono::seconds(20)));
  EXPECT_EQ(system().api.GetOrder(user, order_id), finished);
}

}  // namespace
}  // namespace kpo::testing
