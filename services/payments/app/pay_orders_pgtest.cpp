// The payment of orders against a real PostgreSQL (the tests' payments database, migrated here as the
// service does at start-up): what the consumer's transaction decides, charges and records. The
// end-to-end guarantees (a duplicate delivery never charges twice, concurrent charges lose no update)
// are also checked through the running services in tests/integration; these pin them to PayOrders.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "core/ids.hpp"
#include "db/arrays.hpp"
#include "payments/app/deposit.hpp"
#include "payments/app/pay_orders.hpp"
#include "payments/storage/account_repository.hpp"
#include "payments/storage/test_database.hpp"

namespace kpo::payments {
namespace {

class PayingOrders : public ::testing::Test {
 protected:
  void SetUp() override { MigratePaymentsTestDatabase(db_); }

  // A new user whose account holds `balance`.
  std::string UserWith(core::Minor balance) {
    auto user = core::NewUuid();
    db::Transaction tx(db_);
    EXPECT_TRUE(AccountRepository::Create(tx, user).has_value());
    if (balance > 0) DepositToAccount(tx, user, balance);
    tx.Commit();
    return user;
  }

  // The result events stay out of the outbox: the services an *_itest starts on this database would
  // publish them into that test's broker vhost.
  void TearDown() override {
    db_.Exec("DELETE FROM outbox WHERE correlation_id = ANY($1::text[])", {order_ids_.Text()});
  }

  OrderToPay Order(const std::string& user, core::Minor amount) {
    OrderToPay order{.order = {.order_id = core::NewUuid(), .user_id = user, .amount = amount},
                     .traceparent = ""};
    order_ids_.Add(order.order.order_id);
    return order;
  }

  PaymentsDecided Pay(db::Connection& db, const std::vector<OrderToPay>& orders) {
    db::Transaction tx(db);
    auto decided = PayOrders(tx, orders);
    tx.Commit();
    return decided;
  }

  core::Minor BalanceOf(const std::string& user) {
    return AccountRepository::Find(db_, user).value().balance;
  }

  // The ledger's charges for `order_id`.
  std::int64_t ChargesOf(const OrderToPay& order) {
    return db_
        .Exec("SELECT count(*) AS n FROM entries WHERE order_id = $1 AND kind = 'charge'",
              {order.order.order_id})
        .Int(0, "n");
  }

  // The result events waiting in the outbox for `order`, by routing key.
  std::vector<std::string> ResultsOf(const OrderToPay& order) {
    const auto rows = db_.Exec("SELECT routing_key FROM outbox WHERE correlation_id = $1 ORDER BY id",
                               {order.order.order_id});
    std::vector<std::string> keys;
    for (int i = 0; i < rows.Rows(); ++i) keys.push_back(rows.Text(i, "routing_key"));
    return keys;
  }

  static std::string BackendOf(db::Connection& connection) {
    return connection.Exec("SELECT pg_backend_pid() AS pid").Text(0, "pid");
  }

  // Whether the backend `pid` comes to wait for a lock within 10 s: the transaction it runs has
  // reached the database and is blocked, not merely slow to start.
  static bool ComesToWaitForALock(const std::string& pid) {
    db::Connection watcher(PaymentsTestDatabaseUrl(), {});
    const auto give_up_at = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < give_up_at) {
      const auto waiting = watcher.Exec(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", {pid});
      if (waiting.Int(0, "n") == 1) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling an observable state
    }
    return false;
  }

  struct RacedPayments {
    PaymentsDecided first;
    PaymentsDecided second;
  };
  // Pays `first` in a transaction left open while another session pays `second`, which must come
  // to wait for one of the first's locks; then commits the first and lets the second finish.
  RacedPayments PayWhileTheFirstHoldsItsLocks(const OrderToPay& first, const OrderToPay& second) {
    db::Connection other(PaymentsTestDatabaseUrl(), {});
    const auto other_backend = BackendOf(other);
    db::Transaction open(db_);
    const auto first_decided = PayOrders(open, {first});
    auto racing = std::async(std::launch::async, [&] { return Pay(other, {second}); });
    EXPECT_TRUE(ComesToWaitForALock(other_backend));
    open.Commit();
    return {first_decided, racing.get()};
  }

  db::Connection db_{PaymentsTestDatabaseUrl(), {}};
  db::ArrayParam order_ids_;
};

TEST_F(PayingOrders, BalancesRunThroughABatchSoAnOrderPastTheFundsFailsAndLaterOnesMayPass) {
  const auto user = UserWith(1000);
  const auto first = Order(user, 600);
  const auto too_much = Order(user, 500);  // 400 left: refused
  const auto fits = Order(user, 400);      // exactly what is left

  const auto decided = Pay(db_, {first, too_much, fits});

  EXPECT_EQ(decided.succeeded, 2U);
  EXPECT_EQ(decided.failed, 1U);
  EXPECT_EQ(decided.already_decided, 0U);
  EXPECT_EQ(BalanceOf(user), 0);
  EXPECT_EQ(ChargesOf(first), 1);
  EXPECT_EQ(ChargesOf(too_much), 0);
  EXPECT_EQ(ChargesOf(fits), 1);
  EXPECT_EQ(ResultsOf(first), std::vector<std::string>{"payment.succeeded"});
  EXPECT_EQ(ResultsOf(too_much), std::vector<std::string>{"payment.failed"});
  EXPECT_EQ(ResultsOf(fits), std::vector<std::string>{"payment.succeeded"});
}

TEST_F(PayingOrders, AnOrderTwiceInOneBatchOrAgainLaterIsChargedOnce) {
  const auto user = UserWith(1000);
  const auto order = Order(user, 300);

  const auto decided = Pay(db_, {order, order});
  const auto again = Pay(db_, {order});

  EXPECT_EQ(decided.succeeded, 1U);
  EXPECT_EQ(decided.already_decided, 1U);
  EXPECT_EQ(again.succeeded + again.failed, 0U);
  EXPECT_EQ(again.already_decided, 1U);
  EXPECT_EQ(BalanceOf(user), 700);
  EXPECT_EQ(ChargesOf(order), 1);
  EXPECT_EQ(ResultsOf(order).size(), 1U) << "one result event, however many deliveries";
}

TEST_F(PayingOrders, AnOrderOfAUserWithoutAnAccountFailsAndLeavesOthersInTheBatchAlone) {
  const auto user = UserWith(500);
  const auto orphan = Order(core::NewUuid(), 100);
  const auto paid = Order(user, 500);

  const auto decided = Pay(db_, {orphan, paid});

  EXPECT_EQ(decided.failed, 1U);
  EXPECT_EQ(decided.succeeded, 1U);
  EXPECT_EQ(BalanceOf(user), 0);
  EXPECT_EQ(ResultsOf(orphan), std::vector<std::string>{"payment.failed"});
  const auto payload =
      db_.Exec("SELECT payload FROM outbox WHERE correlation_id = $1", {orphan.order.order_id});
  EXPECT_NE(payload.Text(0, "payload").find("account_not_found"), std::string::npos)
      << payload.Text(0, "payload");
}

// Two consumers' transactions take the same order at once (a redelivery racing the first delivery):
// the second waits for the first's claim and then finds the order decided.
TEST_F(PayingOrders, TwoTransactionsPayingTheSameOrderChargeItOnce) {
  const auto user = UserWith(1000);
  const auto order = Order(user, 250);

  // The second blocks on the first's uncommitted claim; it must not decide before the first commits.
  const auto [first_decided, second_decided] = PayWhileTheFirstHoldsItsLocks(order, order);

  EXPECT_EQ(first_decided.succeeded, 1U);
  EXPECT_EQ(second_decided.succeeded + second_decided.failed, 0U);
  EXPECT_EQ(second_decided.already_decided, 1U);
  EXPECT_EQ(BalanceOf(user), 750);
  EXPECT_EQ(ChargesOf(order), 1);
}

// Two different orders of one account in concurrent transactions: the account's row lock serialises
// them, so neither overwrites the other's balance and together they never overdraw it.
TEST_F(PayingOrders, ConcurrentChargesOfOneAccountLoseNoUpdateAndNeverOverdraw) {
  const auto user = UserWith(1000);
  const auto a = Order(user, 700);
  const auto b = Order(user, 700);

  const auto [first_decided, second_decided] = PayWhileTheFirstHoldsItsLocks(a, b);

  EXPECT_EQ(first_decided.succeeded, 1U);
  EXPECT_EQ(second_decided.failed, 1U) << "it saw the first's charge: 300 left for 700";
  EXPECT_EQ(BalanceOf(user), 300);
  EXPECT_EQ(ResultsOf(b), std::vector<std::string>{"payment.failed"});
}

}  // namespace
}  // namespace kpo::payments
