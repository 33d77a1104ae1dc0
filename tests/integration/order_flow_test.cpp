// The saga end to end on real servers: order → OrderCreated → charge → result → final status.
#include <gtest/gtest.h>

#include <thread>

#include "core/ids.hpp"
#include "http/client.hpp"
#include "support/fixture.hpp"
#include "support/stack.hpp"

namespace kpo::testing {
namespace {

class OrderFlow : public SharedSystemTest<Stack> {
 protected:
  const Api& api() { return system().api; }
};

std::vector<std::string> Steps(const boost::json::object& order) {
  std::vector<std::string> steps;
  for (const auto& entry : order.at("timeline").as_array()) steps.emplace_back(entry.at("step").as_string());
  return steps;
}

TEST_F(OrderFlow, FundedAccountFinishesAndIsChargedExactlyTheAmount) {
  const auto user = api().NewFundedUser(10'000);
  const auto created = api().PlaceOrder(user, 2'550, "Чайник");
  EXPECT_EQ(created.at("status").as_string(), "Created");
  const auto id = std::string(created.at("id").as_string());

  const auto order = api().WaitForFinalStatus(user, id);
  EXPECT_EQ(order.at("status").as_string(), "Finished");
  EXPECT_TRUE(order.at("failureReason").is_null());
  EXPECT_EQ(Steps(order),
            (std::vector<std::string>{"created", "published", "payment_succeeded", "finished"}));
  EXPECT_EQ(api().Balance(user), 10'000 - 2'550);

  auto entries = api().Call("GET", "/api/accounts/me/entries", user);
  ASSERT_EQ(entries.status, 200);
  const auto& items = entries.Object().at("items").as_array();
  ASSERT_EQ(items.size(), 2U);
  EXPECT_EQ(items[0].at("kind").as_string(), "charge");
  EXPECT_EQ(items[0].at("amount").as_int64(), 2'550);
  EXPECT_EQ(items[0].at("orderId").as_string(), id);
  EXPECT_EQ(items[0].at("balanceAfter").as_int64(), 7'450);
  EXPECT_EQ(items[1].at("kind").as_string(), "deposit");
}

TEST_F(OrderFlow, ShortOfFundsIsCancelledAndTheBalanceIsUnchanged) {
  const auto user = api().NewFundedUser(100);
  const auto id = std::string(api().PlaceOrder(user, 101).at("id").as_string());
  const auto order = api().WaitForFinalStatus(user, id);
  EXPECT_EQ(order.at("status").as_string(), "Cancelled");
  EXPECT_EQ(order.at("failureReason").as_string(), "insufficient_funds");
  EXPECT_EQ(Steps(order), (std::vector<std::string>{"created", "published", "payment_failed", "cancelled"}));
  EXPECT_EQ(api().Balance(user), 100);
}

TEST_F(OrderFlow, NoAccountIsCancelledAsAccountNotFound) {
  const auto user = core::NewUuid();
  const auto id = std::string(api().PlaceOrder(user, 500).at("id").as_string());
  const auto order = api().WaitForFinalStatus(user, id);
  EXPECT_EQ(order.at("status").as_string(), "Cancelled");
  EXPECT_EQ(order.at("failureReason").as_string(), "account_not_found");
  EXPECT_EQ(api().Call("GET", "/api/accounts/me", user).status, 404);
}

TEST_F(OrderFlow, ListsMyOrdersNewestFirstWithPaging) {
  const auto user = api().NewFundedUser(0);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.emplace_back(api().PlaceOrder(user, 10 + i).at("id").as_string());
  std::vector<std::string> seen;
  std::string target = "/api/orders?limit=2";
  for (int page = 0; page < 5; ++page) {
    auto response = api().Call("GET", target, user);
    ASSERT_EQ(response.status, 200) << response.body;
    for (const auto& item : response.Object().at("items").as_array())
      seen.emplace_back(item.at("id").as_string());
    const auto& next = response.Object().at("next");
    if (next.is_null()) break;
    target = "/api/orders?limit=2&before=" + std::string(next.as_string());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{ids[4], ids[3], ids[2], ids[1], ids[0]}));
}

TEST_F(OrderFlow, AnotherUsersOrderIsNotFound) {
  const auto owner = core::NewUuid();
  const auto id = std::string(api().PlaceOrder(owner, 10).at("id").as_string());
  const auto stranger = core::NewUuid();
  auto response = api().Call("GET", "/api/orders/" + id, stranger);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body.find(owner), std::string::npos);
  auto list = api().Call("GET", "/api/orders", stranger);
  EXPECT_TRUE(list.Object().at("items").as_array().empty());
  EXPECT_EQ(api().Call("GET", "/api/orders/" + core::NewUuid(), owner).status, 404);
}

TEST_F(OrderFlow, IdempotencyKeyReplaysTheFirstResponse) {
  const auto user = api().NewFundedUser(0);
  const std::string body = R"({"amount":42,"description":"once"})";
  const http::Headers key{{"Idempotency-Key", "order-" + core::NewUuid()}};
  auto first = api().Call("POST", "/api/orders", user, body, key);
  auto second = api().Call("POST", "/api/orders", user, body, key);
  ASSERT_EQ(first.status, 202);
  EXPECT_EQ(second.status, 202);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.Header("Idempotent-Replayed"), "true");
  EXPECT_EQ(second.Header("Location"), first.Header("Location"));
  EXPECT_EQ(api().Call("GET", "/api/orders", user).Object().at("items").as_array().size(), 1U);

  auto different = api().Call("POST", "/api/orders", user, R"({"amount":43,"description":"once"})", key);
  EXPECT_EQ(different.status, 422);
  // The key is per user: another user with the same key gets a fresh order.
  auto other = api().Call("POST", "/api/orders", core::NewUuid(), body, key);
  EXPECT_EQ(other.status, 202);
  EXPECT_NE(other.body, first.body);
}

TEST_F(OrderFlow, ConcurrentRequestsWithOneKeyCreateOneOrder) {
  const auto user = api().NewFundedUser(0);
  const http::Headers key{{"Idempotency-Key", core::NewUuid()}};
  std::vector<std::jthread> threads;
  std::vector<int> statuses(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      statuses[i] =
          api().Call("POST", "/api/orders", user, R"({"amount":5,"description":"race"})", key).status;
    });
  }
  for (auto& thread : threads) thread.join();
  for (int status : statuses) EXPECT_TRUE(status == 202 || status == 409) << status;
  EXPECT_EQ(api().Call("GET", "/api/orders", user).Object().at("items").as_array().size(), 1U);
}

TEST_F(OrderFlow, DepositAndAccountCreationAreIdempotentToo) {
  const auto user = core::NewUuid();
  const http::Headers account_key{{"Idempotency-Key", "acc"}};
  EXPECT_EQ(api().Call("POST", "/api/accounts", user, "", account_key).status, 201);
  auto replay = api().Call("POST", "/api/accounts", user, "", account_key);
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.Header("Idempotent-Replayed"), "true");
  EXPECT_EQ(api().Call("POST", "/api/accounts", user).status, 409);

  const http::Headers deposit_key{{"Idempotency-Key", "dep-1"}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(api().Call("POST", "/api/accounts/me/deposits", user, R"({"amount":700})", deposit_key).status,
              200);
  }
  EXPECT_EQ(api().Balance(user), 700);
}

// A refusal the service decided on what it found (no account; one already there) is the first answer
// to its key, and a repeat gets it again rather than running on what has changed since.
TEST_F(OrderFlow, ARefusalAnsweredToAKeyedRequestIsReplayedToo) {
  const auto user = core::NewUuid();
  const http::Headers deposit_key{{"Idempotency-Key", "dep-" + core::NewUuid()}};
  const std::string deposit = R"({"amount":500})";
  const auto refused = api().Call("POST", "/api/accounts/me/deposits", user, deposit, deposit_key);
  ASSERT_EQ(refused.status, 404);
  EXPECT_EQ(api().Call("POST", "/api/accounts", user).status, 201);
  const auto repeat = api().Call("POST", "/api/accounts/me/deposits", user, deposit, deposit_key);
  EXPECT_EQ(repeat.status, 404);
  EXPECT_EQ(repeat.body, refused.body);
  EXPECT_EQ(repeat.Header("Idempotent-Replayed"), "true");
  EXPECT_EQ(repeat.Header("Content-Type"), "application/problem+json; charset=utf-8");
  EXPECT_EQ(api().Balance(user), 0) << "the repeat did not deposit";

  const http::Headers account_key{{"Idempotency-Key", "acc-" + core::NewUuid()}};
  EXPECT_EQ(api().Call("POST", "/api/accounts", user, "", account_key).status, 409);
  const auto conflict = api().Call("POST", "/api/accounts", user, "", account_key);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.Header("Idempotent-Replayed"), "true");
}

TEST_F(OrderFlow, OperationalEndpointsAnswer) {
  for (auto port : {kOrdersTestPort, kPaymentsTestPort}) {
    EXPECT_EQ(http::Fetch("127.0.0.1", port, "GET", "/healthz").status, 200);
    EXPECT_EQ(http::Fetch("127.0.0.1", port, "GET", "/readyz").status, 200);
    auto metrics = http::Fetch("127.0.0.1", port, "GET", "/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("http_requests_total"), std::string::npos);
  }
}

// Each hop of the saga shows in the histograms of the service that runs it, and the gauges an
// operator reads (backlog, pool, readiness, process, build) are exposed.
TEST_F(OrderFlow, MetricsMeasureEveryHopOfTheSaga) {
  const auto published = [] { return MetricValue(kOrdersTestPort, "outbox_publish_delay_seconds_count"); };
  const auto consumed = [] {
    return MetricValue(kPaymentsTestPort, "consumer_receive_to_commit_seconds_count");
  };
  const auto results = [] { return MetricValue(kOrdersTestPort, "consumer_batch_size_count"); };
  const auto published_before = published();
  const auto consumed_before = consumed();
  const auto results_before = results();
  const auto user = api().NewFundedUser(1'000);
  const auto id = std::string(api().PlaceOrder(user, 10).at("id").as_string());
  EXPECT_EQ(api().WaitForFinalStatus(user, id).at("status").as_string(), "Finished");
  // The result's consumer acks after the commit that finished the order: its counts follow at once.
  ASSERT_TRUE(WaitUntil([&] { return results() > results_before; }, std::chrono::seconds(10)));
  EXPECT_GT(published(), published_before);
  EXPECT_GT(consumed(), consumed_before);
  EXPECT_GT(MetricValue(kPaymentsTestPort, "outbox_batch_size_count"), 0);

  const auto text = http::Fetch("127.0.0.1", kOrdersTestPort, "GET", "/metrics").body;
  for (const char* series : {"\noutbox_unpublished_rows ", "\noutbox_oldest_unpublished_age_seconds ",
                             "\ndb_pool_connections_in_use ", "\ndb_pool_waiting ", "\nprocess_open_fds ",
                             "\nprocess_cpu_seconds_total ", "\nbuild_info{version=\"",
                             "method=\"POST\",route=\"/api/orders\",status_class=\"2xx\",le=\"+Inf\"}"}) {
    EXPECT_NE(text.find(series), std::string::npos) << series;
  }
  EXPECT_GE(MetricValue(kOrdersTestPort, "db_pool_connections_max"), 1);
  EXPECT_EQ(MetricValue(kOrdersTestPort, "ready"), 1);
  EXPECT_EQ(MetricValue(kOrdersTestPort, R"(readiness_check_ok{check="database"})"), 1);
  EXPECT_GT(MetricValue(kOrdersTestPort, "process_resident_memory_bytes"), 0);
}

}  // namespace
}  // namespace kpo::testing
