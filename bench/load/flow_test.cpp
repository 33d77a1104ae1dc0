#include "load/flow.hpp"

#include <gtest/gtest.h>

namespace kpo::bench {
namespace {

constexpr std::int64_t kStartMs = 1'700'000'000'000;

OrderTimes Order(std::int64_t created_us, std::int64_t terminal_us, bool cancelled = false) {
  OrderTimes order;
  order.created_us = created_us;
  order.terminal_us = terminal_us;
  order.cancelled = cancelled;
  return order;
}

// `rate` orders a second for `seconds`, each completing `latency_ms` after it was created.
std::vector<OrderTimes> Steady(int rate, int seconds, double latency_ms) {
  std::vector<OrderTimes> orders;
  for (int i = 0; i < rate * seconds; ++i) {
    const auto created = kStartMs * 1000 + static_cast<std::int64_t>(i) * 1'000'000 / rate;
    orders.push_back(Order(created, created + static_cast<std::int64_t>(latency_ms * 1000), i % 10 == 0));
  }
  return orders;
}

TEST(BenchDistribution, NearestRankPercentiles) {
  std::vector<double> values;
  for (int i = 100; i >= 1; --i) values.push_back(i);
  const auto d = Summarize(values);
  EXPECT_EQ(d.count, 100U);
  EXPECT_DOUBLE_EQ(d.p50, 50);
  EXPECT_DOUBLE_EQ(d.p90, 90);
  EXPECT_DOUBLE_EQ(d.p99, 99);
  EXPECT_DOUBLE_EQ(d.max, 100);
}

TEST(BenchDistribution, EmptySampleIsAllZero) {
  std::vector<double> none;
  const auto d = Summarize(none);
  EXPECT_EQ(d.count, 0U);
  EXPECT_DOUBLE_EQ(d.p99, 0);
}

TEST(BenchFlow, AKeptUpPhaseCompletesAtTheOfferedRate) {
  const auto flow =
      AnalyzeFlow(Steady(100, 10, 5), kStartMs, std::chrono::seconds(10), std::chrono::seconds(2));
  EXPECT_EQ(flow.completed, 1000);
  EXPECT_EQ(flow.pending, 0);
  EXPECT_EQ(flow.cancelled, 100);
  EXPECT_NEAR(flow.completed_rps, 100, 1);
  EXPECT_DOUBLE_EQ(flow.min_bucket_rps, 100);
  ASSERT_TRUE(flow.backlog_gone_s);
  EXPECT_NEAR(*flow.backlog_gone_s, 0, 0.01);
  EXPECT_DOUBLE_EQ(flow.created_to_terminal.p50, 5);
  ASSERT_EQ(flow.per_second.size(), 10U);  // the last order, sent at 9.99 s, ends at 9.995 s
  EXPECT_EQ(flow.per_second[0], 100);
}

TEST(BenchFlow, ASaturatedPhaseCompletesAtItsCapacityAndReportsTheBacklog) {
  // 200 offered a second for 10 s, completed one after another at 100 a second.
  std::vector<OrderTimes> orders;
  for (int i = 0; i < 2000; ++i) {
    const auto created = kStartMs * 1000 + static_cast<std::int64_t>(i) * 5'000;
    orders.push_back(Order(created, kStartMs * 1000 + static_cast<std::int64_t>(i + 1) * 10'000));
  }
  const auto flow = AnalyzeFlow(orders, kStartMs, std::chrono::seconds(10), std::chrono::seconds(2));
  EXPECT_NEAR(flow.completed_rps, 100, 1);
  EXPECT_DOUBLE_EQ(flow.min_bucket_rps, 100);
  ASSERT_TRUE(flow.backlog_gone_s);
  EXPECT_NEAR(*flow.backlog_gone_s, 10, 0.01);
  EXPECT_GT(flow.created_to_terminal.p99, 9000);
}

TEST(BenchFlow, APendingOrderLeavesTheBacklogOpen) {
  auto orders = Steady(10, 3, 5);
  orders.back().terminal_us.reset();
  const auto flow = AnalyzeFlow(orders, kStartMs, std::chrono::seconds(3), std::chrono::seconds(2));
  EXPECT_EQ(flow.pending, 1);
  EXPECT_FALSE(flow.backlog_gone_s);
}

TEST(BenchFlow, ASecondWithoutCompletionsIsTheMinimum) {
  auto orders = Steady(50, 5, 5);
  std::erase_if(orders, [](const OrderTimes& o) { return o.created_us / 1'000'000 - kStartMs / 1000 == 2; });
  const auto flow = AnalyzeFlow(orders, kStartMs, std::chrono::seconds(5), std::chrono::seconds(1));
  EXPECT_DOUBLE_EQ(flow.min_bucket_rps, 0);
}

TEST(BenchFlow, HopsSplitCreatedToTerminalOverTheOrdersThatGotThatFar) {
  // Each order: published 2 ms after created, paid 5 ms later, terminal 3 ms after that; the last
  // order lacks its published step (its timeline is incomplete) and counts in created → terminal only.
  auto orders = Steady(100, 2, 10);
  for (auto& order : orders) {
    order.published_us = order.created_us + 2'000;
    order.paid_us = order.created_us + 7'000;
  }
  orders.back().published_us.reset();
  const auto flow = AnalyzeFlow(orders, kStartMs, std::chrono::seconds(2), std::chrono::seconds(1));
  EXPECT_EQ(flow.created_to_terminal.count, 200U);
  EXPECT_EQ(flow.hops.created_to_published.count, 199U);
  EXPECT_DOUBLE_EQ(flow.hops.created_to_published.p50, 2);
  EXPECT_DOUBLE_EQ(flow.hops.published_to_paid.p99, 5);
  EXPECT_DOUBLE_EQ(flow.hops.paid_to_terminal.p50, 3);
}

}  // namespace
}  // namespace kpo::bench
