// No lost update: concurrent charges and deposits on one account serialise, the balance never
// goes negative and always equals deposits − charges.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <thread>

#include "core/ids.hpp"
#include "support/fixture.hpp"
#include "support/stack.hpp"

namespace kpo::testing {
namespace {

class Concurrency : public SharedSystemTest<Stack> {
 protected:
  // Runs `task(i)` for i in [0, n) on `threads` threads.
  static void Parallel(int n, int threads, const std::function<void(int)>& task) {
    std::atomic<int> next{0};
    std::vector<std::jthread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (int i = next++; i < n; i = next++) task(i);
      });
    }
    for (auto& thread : pool) thread.join();
  }
  static std::map<std::string, int> FinalStatuses(const std::string& user,
                                                  const std::vector<std::string>& ids) {
    std::map<std::string, int> counts;
    for (const auto& id : ids) {
      counts[std::string(
          system().api.WaitForFinalStatus(user, id, std::chrono::seconds(60)).at("status").as_string())]++;
    }
    return counts;
  }
  static void ExpectLedgerConsistent(const std::string& user, std::int64_t expected_balance) {
    auto db = PaymentsDb();
    auto sums = db.Exec(
        "SELECT coalesce(sum(CASE WHEN kind = 'deposit' THEN amount ELSE -amount END), 0) AS net, "
        "count(*) FILTER (WHERE balance_after < 0) AS negative FROM entries WHERE user_id = $1",
        {user});
    EXPECT_EQ(sums.Int(0, "net"), expected_balance);
    EXPECT_EQ(sums.Int(0, "negative"), 0);
    EXPECT_EQ(system().api.Balance(user), expected_balance);
  }
};

TEST_F(Concurrency, TwoHundredOrdersAgainstFundsForOneHundred) {
  const auto user = system().api.NewFundedUser(100LL * 250);
  std::vector<std::string> ids(200);
  Parallel(200, 16,
           [&](int i) { ids[i] = std::string(system().api.PlaceOrder(user, 250).at("id").as_string()); });
  auto statuses = FinalStatuses(user, ids);
  EXPECT_EQ(statuses["Finished"], 100);
  EXPECT_EQ(statuses["Cancelled"], 100);
  ExpectLedgerConsistent(user, 0);
}

TEST_F(Concurrency, ConcurrentDepositsAndChargesNeverLoseAnUpdate) {
  const auto user = system().api.NewFundedUser(1'000);
  std::vector<std::string> ids(100);
  std::atomic<std::int64_t> deposited{1'000};
  Parallel(160, 16, [&](int i) {
    if (i % 8 < 5) {
      ids[i / 8 * 5 + i % 8] = std::string(system().api.PlaceOrder(user, 300 + i).at("id").as_string());
    } else {
      auto response = system().api.Call("POST", "/api/accounts/me/deposits", user, R"({"amount":500})");
      if (response.status == 200) deposited += 500;
    }
  });
  std::int64_t charged = 0;
  for (const auto& id : ids) {
    auto order = system().api.WaitForFinalStatus(user, id, std::chrono::seconds(60));
    ASSERT_NE(order.at("status").as_string(), "Created");
    if (order.at("status").as_string() == "Finished") charged += order.at("amount").as_int64();
  }
  EXPECT_GT(charged, 0);
  ExpectLedgerConsistent(user, deposited.load() - charged);
}

}  // namespace
}  // namespace kpo::testing
