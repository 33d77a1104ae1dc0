// Faults: the broker down, a relay killed at the worst moment, poison messages, services killed
// mid-stream. An accepted order always completes and is charged at most once.
#include <gtest/gtest.h>

#include <csignal>
#include <mutex>
#include <system_error>
#include <thread>

#include "core/ids.hpp"
#include "http/client.hpp"
#include "support/stack.hpp"

namespace kpo::testing {
namespace {

std::int64_t ChargesFor(const std::string& order_id) {
  auto db = PaymentsDb();
  return db.Exec("SELECT count(*) AS n FROM entries WHERE order_id = $1 AND kind = 'charge'", {order_id})
      .Int(0, "n");
}

class Faults : public ::testing::Test {
 protected:
  void SetUp() override { stack_.Start(); }
  // These tests show that what was accepted survives outages and kills, so orders keeps accepting
  // while the pipeline stalls; refusing new orders then (backpressure) has its own test.
  Stack stack_{EnvVars{{"ORDERS_BACKPRESSURE_MAX_LAG_MS", "0"}}};
};

TEST_F(Faults, OrdersAreAcceptedWhileTheBrokerIsDownAndCompleteAfterIt) {
  const auto user = stack_.api.NewFundedUser(10'000);
  ASSERT_EQ(RabbitmqCtl("stop_app"), 0);
  std::vector<std::string> ids;
  {
    // Whatever happens below, the broker comes back for the tests that follow.
    struct Restart {
      ~Restart() { RabbitmqCtl("start_app"), RabbitmqCtl("await_startup"); }
    } restart;
    for (int i = 0; i < 10; ++i) ids.emplace_back(stack_.api.PlaceOrder(user, 100).at("id").as_string());
    for (const auto& id : ids) EXPECT_EQ(stack_.api.GetOrder(user, id).at("status").as_string(), "Created");
  }
  for (const auto& id : ids) {
    EXPECT_EQ(stack_.api.WaitForFinalStatus(user, id, std::chrono::seconds(90)).at("status").as_string(),
              "Finished");
    EXPECT_EQ(ChargesFor(id), 1);
  }
  EXPECT_EQ(stack_.api.Balance(user), 10'000 - 10 * 100);
}

// Not ready without the broker, as the contract says; an orchestrator that keeps the replicas in
// service through the outage leaves the broker out of the verdict.
TEST_F(Faults, WithoutTheBrokerOrdersAndPaymentsAreNotReadyUnlessTheBrokerIsExcluded) {
  ASSERT_EQ(RabbitmqCtl("stop_app"), 0);
  struct Restart {
    ~Restart() { RabbitmqCtl("start_app"), RabbitmqCtl("await_startup"); }
  } restart;
  for (const auto port : {kOrdersTestPort, kPaymentsTestPort}) {
    EXPECT_TRUE(WaitUntil([port] { return http::Fetch("127.0.0.1", port, "GET", "/readyz").status == 503; },
                          std::chrono::seconds(10)))
        << port;
    const auto partial = http::Fetch("127.0.0.1", port, "GET", "/readyz?exclude=broker");
    EXPECT_EQ(partial.status, 200) << partial.body;
    EXPECT_NE(partial.body.find(R"("broker":"down")"), std::string::npos) << partial.body;
  }
}

TEST_F(Faults, RelayKilledBetweenConfirmAndMarkRepublishesAndTheDuplicateIsAbsorbed) {
  const auto user = stack_.api.NewFundedUser(1'000);
  stack_.orders.Signal(SIGTERM);
  ServiceProcess crashing("orders-failpoint", KPO_ORDERS_BIN,
                          OrdersEnv(kOrdersTestPort, {{"KPO_FAILPOINTS", "relay_crash_after_confirm"}}),
                          kOrdersTestPort);
  crashing.Start();
  const auto duplicates_before =
      MetricValue(kPaymentsTestPort, R"(messages_consumed_total{outcome="duplicate"})");
  // The crash follows the order's commit by one broker round trip, so it may come before the answer
  // is written: the client then sees the connection end, and the order is known by its user.
  std::string id;
  try {
    id = std::string(stack_.api.PlaceOrder(user, 250).at("id").as_string());
  } catch (const std::system_error& unanswered) {
    ASSERT_TRUE(WaitUntil([&] { return crashing.HasExited(); }, std::chrono::seconds(20)))
        << unanswered.what();
    auto db = OrdersDb();
    auto orders = db.Exec("SELECT id::text AS id FROM orders WHERE user_id = $1", {user});
    ASSERT_EQ(orders.Rows(), 1) << "the order was committed before the crash: " << unanswered.what();
    id = orders.Text(0, "id");
  }
  ASSERT_TRUE(WaitUntil([&] { return crashing.HasExited(); }, std::chrono::seconds(20)));
  {
    auto db = OrdersDb();
    auto row = db.Exec("SELECT published_at IS NULL AS pending FROM outbox WHERE correlation_id = $1", {id});
    ASSERT_EQ(row.Rows(), 1);
    EXPECT_TRUE(row.Bool(0, "pending")) << "the crash came before the mark";
  }
  stack_.orders.Start();
  EXPECT_EQ(stack_.api.WaitForFinalStatus(user, id).at("status").as_string(), "Finished");
  ASSERT_TRUE(WaitUntil(
      [&] {
        return MetricValue(kPaymentsTestPort, R"(messages_consumed_total{outcome="duplicate"})") >
               duplicates_before;
      },
      std::chrono::seconds(20)));
  EXPECT_EQ(ChargesFor(id), 1);
  EXPECT_EQ(stack_.api.Balance(user), 750);
}

TEST_F(Faults, MalformedMessagesAreDeadLetteredAndDoNotBlockTheQueue) {
  messaging::Connection broker(Broker());
  broker.Get("payments.order-created.dlq", 10'000, true);  // start from an empty DLQ
  messaging::Message garbage;
  garbage.exchange = "orders";
  garbage.routing_key = "order.created";
  garbage.type = "OrderCreated";
  garbage.message_id = core::NewUuid();
  garbage.body = "{not json";
  messaging::Message no_id = garbage;
  no_id.message_id = "not-a-uuid";
  no_id.body = R"({"orderId":"x"})";
  ASSERT_EQ(broker.PublishConfirmed({garbage, no_id}, std::chrono::seconds(10)),
            (std::vector<bool>{true, true}));

  const auto user = stack_.api.NewFundedUser(1'000);
  const std::string id(stack_.api.PlaceOrder(user, 100).at("id").as_string());
  EXPECT_EQ(stack_.api.WaitForFinalStatus(user, id).at("status").as_string(), "Finished");

  std::vector<std::string> dead;
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& d : broker.Get("payments.order-created.dlq", 100, true))
          dead.push_back(d.message.message_id);
        return dead.size() >= 2;
      },
      std::chrono::seconds(20)));
  EXPECT_NE(std::find(dead.begin(), dead.end(), garbage.message_id), dead.end());
  EXPECT_NE(std::find(dead.begin(), dead.end(), no_id.message_id), dead.end());
}

TEST_F(Faults, ServicesKilledMidStreamLoseNothing) {
  const auto user = stack_.api.NewFundedUser(1'000'000);
  std::vector<std::string> accepted;
  std::mutex mutex;
  std::jthread client([&] {
    for (int i = 0; i < 120; ++i) {
      try {
        auto response =
            stack_.api.Call("POST", "/api/orders", user, R"({"amount":1000,"description":"stream"})");
        if (response.status == 202) {
          std::lock_guard lock(mutex);
          accepted.emplace_back(response.Object().at("id").as_string());
        }
      } catch (const std::system_error&) {
        // The orders process is being restarted: this order was never accepted.
      }
    }
  });
  auto accepted_count = [&] {
    std::lock_guard lock(mutex);
    return accepted.size();
  };
  ASSERT_TRUE(WaitUntil([&] { return accepted_count() >= 30; }, std::chrono::seconds(30)));
  stack_.payments.Signal(SIGKILL);
  ASSERT_TRUE(WaitUntil([&] { return accepted_count() >= 60; }, std::chrono::seconds(30)));
  stack_.payments.Start();
  ASSERT_TRUE(WaitUntil([&] { return accepted_count() >= 80; }, std::chrono::seconds(30)));
  stack_.orders.Signal(SIGKILL);
  stack_.orders.Start();
  client.join();

  ASSERT_GE(accepted.size(), 80U);
  for (const auto& id : accepted) {
    EXPECT_EQ(stack_.api.WaitForFinalStatus(user, id, std::chrono::seconds(60)).at("status").as_string(),
              "Finished");
    EXPECT_EQ(ChargesFor(id), 1) << id;
  }
  // An order whose 202 was lost in the kill may exist too: the ledger, not the client, counts.
  auto db = PaymentsDb();
  const auto charges =
      db.Exec("SELECT count(*) AS n FROM entries WHERE user_id = $1 AND kind = 'charge'", {user}).Int(0, "n");
  EXPECT_GE(charges, static_cast<std::int64_t>(accepted.size()));
  EXPECT_EQ(stack_.api.Balance(user), 1'000'000 - charges * 1000);
}

}  // namespace
}  // namespace kpo::testing
