// Applying payment results against a real PostgreSQL (KPO_TEST_DATABASE_URL, migrated here as the
// service does at start-up): what the consumer's transaction reads and writes.
#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "db/migrations.hpp"
#include "db/test_database.hpp"
#include "orders/app/apply_payment_results.hpp"
#include "orders/domain/order_json.hpp"
#include "orders/storage/order_repository.hpp"
#include "service/bootstrap.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& orders_app_migrations();
}

namespace kpo::orders {
namespace {

std::vector<std::string> Steps(const Order& order) {
  std::vector<std::string> steps;
  for (const auto& entry : order.timeline) steps.push_back(entry.step);
  return steps;
}

class ApplyingResults : public ::testing::Test {
 protected:
  void SetUp() override {
    db::Migrate(db_, service::StandardSchemas(generated::orders_app_migrations()), "orders-migrations");
  }

  // A stored order, created and published (no outbox row: no relay of a running stack picks it up).
  Order PublishedOrder() {
    auto order = NewOrder(core::NewUuid(), user_, 500, "test order", core::Now());
    db::Transaction tx(db_);
    OrderRepository::Insert(tx, order, OrderToJson(order));
    OrderRepository::RecordPublished(tx, {order.id}, {core::FormatRfc3339(core::Now())});
    tx.Commit();
    return order;
  }

  PaymentResult Succeeded(const Order& order) const {
    return {order.id,        order.user_id,
            order.amount,    {.succeeded = true, .reason = std::nullopt},
            core::NewUuid(), core::FormatRfc3339(core::Now())};
  }

  std::string LastEventOf(const std::string& user) {
    return db_.Exec("SELECT payload FROM order_events WHERE user_id = $1 ORDER BY id DESC LIMIT 1", {user})
        .Text(0, "payload");
  }

  db::Connection db_{db::TestDatabaseUrl(), {}};
  std::string user_ = core::NewUuid();
};

TEST_F(ApplyingResults, AMovedOrderCarriesItsWholeTimelineIntoItsChangeEvent) {
  const auto order = PublishedOrder();
  db::Transaction tx(db_);
  const auto applied = ApplyPaymentResults(tx, {Succeeded(order)});
  tx.Commit();

  ASSERT_EQ(applied.outcomes, std::vector{ResultOutcome::kApplied});
  ASSERT_EQ(applied.changed.size(), 1U);
  const std::vector<std::string> expected{"created", "published", "payment_succeeded", "finished"};
  EXPECT_EQ(Steps(applied.changed.front()), expected);
  const auto stored = OrderRepository::FindForUser(db_, user_, order.id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->status, OrderStatus::kFinished);
  EXPECT_EQ(Steps(*stored), expected);
  // The stored order reads back as the change event showed it, every step's time included.
  EXPECT_EQ(OrderToJson(*stored), OrderToJson(applied.changed.front()));
  EXPECT_EQ(LastEventOf(user_), OrderToJson(applied.changed.front()));
}

// A relay died between the broker's confirm and its commit; its repeated publish committed before the
// payment result (processed earlier, from the first publish) was applied.
TEST_F(ApplyingResults, APublishedStepRecordedAfterThePaymentTakesThePaymentsTime) {
  auto order = NewOrder(core::NewUuid(), user_, 500, "test order", core::Now());
  {
    db::Transaction tx(db_);
    OrderRepository::Insert(tx, order, OrderToJson(order));
    OrderRepository::RecordPublished(tx, {order.id}, {"2099-01-01T00:00:08.000000Z"});
    tx.Commit();
  }
  auto result = Succeeded(order);
  result.processed_at = "2099-01-01T00:00:03.000000Z";
  db::Transaction tx(db_);
  const auto applied = ApplyPaymentResults(tx, {result});
  tx.Commit();

  ASSERT_EQ(applied.changed.size(), 1U);
  const auto stored = OrderRepository::FindForUser(db_, user_, order.id);
  ASSERT_TRUE(stored.has_value());
  ASSERT_EQ(Steps(*stored),
            (std::vector<std::string>{"created", "published", "payment_succeeded", "finished"}));
  EXPECT_EQ(stored->timeline[1].at, "2099-01-01T00:00:03.000000Z");
  EXPECT_EQ(OrderToJson(*stored), OrderToJson(applied.changed.front()));
}

TEST_F(ApplyingResults, ASecondResultForAFinishedOrderChangesNothing) {
  const auto order = PublishedOrder();
  {
    db::Transaction tx(db_);
    ApplyPaymentResults(tx, {Succeeded(order)});
    tx.Commit();
  }
  db::Transaction tx(db_);
  const auto again = ApplyPaymentResults(tx, {Succeeded(order)});
  EXPECT_EQ(again.outcomes, std::vector{ResultOutcome::kAlreadyFinal});
  EXPECT_TRUE(again.changed.empty());
}

TEST_F(ApplyingResults, AResultForAnUnknownOrderOrAnotherAmountBreaksTheContract) {
  const auto order = PublishedOrder();
  auto unknown = Succeeded(order);
  unknown.order_id = core::NewUuid();
  auto other_amount = Succeeded(order);
  other_amount.amount = order.amount + 1;
  db::Transaction tx(db_);
  const auto applied = ApplyPaymentResults(tx, {unknown, other_amount});
  EXPECT_EQ(applied.outcomes, (std::vector{ResultOutcome::kUnknownOrder, ResultOutcome::kContradicts}));
  EXPECT_TRUE(applied.changed.empty());
}

}  // namespace
}  // namespace kpo::orders
