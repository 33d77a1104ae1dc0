// The pipeline under pressure: consumers apply batches of messages in one transaction (a poison
// message among them goes to the dead-letter queue alone), and orders refuses new orders while
// the pipeline is behind instead of building a backlog.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "support/fixture.hpp"
#include "support/stack.hpp"

namespace kpo::testing {
namespace {

// A stack whose orders refuses new orders once an order has waited 300 ms for its payment, and
// whose admission forgets an order left behind after 2 s (the window) unless nothing placed after
// it is paid for.
struct PipelineStack : Stack {
  PipelineStack()
      : Stack(EnvVars{{"ORDERS_BACKPRESSURE_MAX_LAG_MS", "300"}, {"ORDERS_BACKPRESSURE_WINDOW_S", "2"}}) {}
};

class Pipeline : public SharedSystemTest<PipelineStack> {};

std::int64_t Charges(db::Connection& db, const std::string& user) {
  return db.Exec("SELECT count(*) AS n FROM entries WHERE user_id = $1 AND kind = 'charge'", {user})
      .Int(0, "n");
}

TEST_F(Pipeline, APoisonMessageInsideABatchIsDeadLetteredAloneAndTheRestCommit) {
  const auto user = system().api.NewFundedUser(10'000);
  std::vector<messaging::Message> events;
  for (int i = 0; i < 6; ++i) events.push_back(OrderCreatedEvent(user, core::NewUuid(), 100));
  messaging::Message poison = OrderCreatedEvent(user, core::NewUuid(), 100);
  poison.body = R"({"orderId":"not json)";
  events.insert(events.begin() + 3, poison);
  // Held while they are published, the consumer receives them together: one batch.
  system().payments.Pause(true);
  {
    messaging::Connection broker(Broker());
    const auto confirmed = broker.PublishConfirmed(events, std::chrono::seconds(10));
    system().payments.Pause(false);
    for (bool ok : confirmed) ASSERT_TRUE(ok);
  }
  auto payments_db = PaymentsDb();
  ASSERT_TRUE(WaitUntil([&] { return Charges(payments_db, user) == 6; }, std::chrono::seconds(20)));
  EXPECT_EQ(system().api.Balance(user), 10'000 - 6 * 100);
  std::vector<std::string> dead;
  ASSERT_TRUE(WaitUntil(
      [&] {
        messaging::Connection broker(Broker());
        for (const auto& d : broker.Get("payments.order-created.dlq", 1000, true))
          dead.push_back(d.message.message_id);
        return std::find(dead.begin(), dead.end(), poison.message_id) != dead.end();
      },
      std::chrono::seconds(20)));
  for (const auto& event : events) {
    if (event.message_id == poison.message_id) continue;
    EXPECT_EQ(std::find(dead.begin(), dead.end(), event.message_id), dead.end())
        << "a valid message was dead-lettered";
  }
}

TEST_F(Pipeline, NewOrdersAreRefusedWhileThePipelineIsBehindAndAcceptedOnceItCatchesUp) {
  const auto user = system().api.NewFundedUser(10'000);
  // Payments stops: the first order waits, and soon waits longer than the bound.
  system().payments.Pause(true);
  const std::string waiting(system().api.PlaceOrder(user, 100).at("id").as_string());
  ApiResponse refused;
  const bool refusing = WaitUntil(
      [&] {
        refused = system().api.Call("POST", "/api/orders", user, R"({"amount":100,"description":"more"})");
        return refused.status == 503;
      },
      std::chrono::seconds(10));
  system().payments.Pause(false);
  ASSERT_TRUE(refusing) << "still " << refused.status;
  EXPECT_EQ(refused.Header("Retry-After"), "1");
  EXPECT_EQ(refused.Header("Content-Type"), "application/problem+json; charset=utf-8");
  EXPECT_EQ(refused.Object().at("status").as_int64(), 503);

  EXPECT_EQ(system().api.WaitForFinalStatus(user, waiting).at("status").as_string(), "Finished");
  ApiResponse accepted;
  EXPECT_TRUE(WaitUntil(
      [&] {
        accepted = system().api.Call("POST", "/api/orders", user, R"({"amount":100,"description":"again"})");
        return accepted.status == 202;
      },
      std::chrono::seconds(10)))
      << "still " << accepted.status;
}

// Before, an order that had left the window no longer counted, so a stall longer than the window
// let a whole room of orders (1000) in every window, into a pipeline that finished none.
TEST_F(Pipeline, AStallOutlastingTheWindowKeepsRefusingButForOneProbeAtATime) {
  const auto user = system().api.NewFundedUser(1'000'000);
  system().payments.Pause(true);
  std::vector<std::string> accepted{std::string(system().api.PlaceOrder(user, 100).at("id").as_string())};
  const bool stalled =
      WaitUntil([] { return MetricReading(kOrdersTestPort, "orders_pipeline_stalled") == 1.0; },
                std::chrono::seconds(10));
  int refused = 0;
  const auto stall_ends = std::chrono::steady_clock::now() + std::chrono::seconds(5);  // 2.5 windows
  while (stalled && std::chrono::steady_clock::now() < stall_ends) {
    const auto answer = system().api.Call("POST", "/api/orders", user, R"({"amount":100,"description":"x"})");
    if (answer.status == 202) accepted.emplace_back(answer.Object().at("id").as_string());
    if (answer.status == 503) ++refused;
  }
  system().payments.Pause(false);
  ASSERT_TRUE(stalled) << "the stall was not measured";
  EXPECT_GT(refused, 100);
  // The first order, then a probe per window at most while the stall lasts.
  EXPECT_LE(accepted.size(), 5U);
  for (const auto& id : accepted)
    EXPECT_EQ(system().api.WaitForFinalStatus(user, id).at("status").as_string(), "Finished");
  EXPECT_TRUE(WaitUntil([] { return MetricReading(kOrdersTestPort, "orders_pipeline_stalled") == 0.0; },
                        std::chrono::seconds(10)));
  EXPECT_EQ(system().api.Call("POST", "/api/orders", user, R"({"amount":100,"description":"again"})").status,
            202);
}

}  // namespace
}  // namespace kpo::testing
