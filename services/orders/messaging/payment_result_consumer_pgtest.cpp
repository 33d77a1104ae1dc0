// The payment-results consumer against a real PostgreSQL (KPO_TEST_DATABASE_URL, migrated here as the
// service does at start-up): what it counts for operators, once per committed settlement.
#include <gtest/gtest.h>

#include <stop_token>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "db/migrations.hpp"
#include "db/slow_commit_testing.hpp"
#include "db/test_database.hpp"
#include "observability/metrics.hpp"
#include "orders/domain/order_json.hpp"
#include "orders/messaging/payment_result_consumer.hpp"
#include "orders/storage/order_repository.hpp"
#include "service/bootstrap.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& orders_app_migrations();
}

namespace kpo::orders {
namespace {

observability::Counter& SettledCounter(const std::string& labels) {
  return observability::Registry::Global().GetCounter("orders_settled_total", "", labels);
}

class PaymentResultConsumer : public ::testing::Test {
 protected:
  void SetUp() override {
    db::Connection db(db::TestDatabaseUrl(), {});
    db::Migrate(db, service::StandardSchemas(generated::orders_app_migrations()), "orders-migrations");
    RegisterSettlementMetrics();
  }

  // A stored order, created and published (no outbox row: no relay of a running stack picks it up).
  Order PublishedOrder() {
    auto order = NewOrder(core::NewUuid(), user_, 700, "counted order", core::Now());
    auto lease = pool_.Acquire();
    db::Transaction tx(*lease);
    OrderRepository::Insert(tx, order, OrderToJson(order));
    OrderRepository::RecordPublished(tx, {order.id}, {core::FormatRfc3339(core::Now())});
    tx.Commit();
    return order;
  }

  messaging::Delivery Result(const std::string& order_id, const std::string& user_id, const char* reason) {
    messaging::Delivery delivery;
    delivery.message.message_id = core::NewUuid();
    delivery.message.routing_key = reason == nullptr ? "payment.succeeded" : "payment.failed";
    delivery.message.body = std::string(R"({"orderId":")") + order_id + R"(","userId":")" + user_id +
                            R"(","amount":700,)" +
                            (reason == nullptr ? std::string(R"("entryId":")") + core::NewUuid() + R"(",)"
                                               : std::string(R"("reason":")") + reason + R"(",)") +
                            R"("processedAt":")" + core::FormatRfc3339(core::Now()) + R"("})";
    return delivery;
  }

  db::Pool pool_{db::TestDatabaseUrl(), 2, {}};
  std::string user_ = core::NewUuid();
};

// A result for an unknown order rolls the batch back; the batch is applied again without it. The
// orders it settled are counted once, when that second transaction has committed, and a duplicate
// delivery of a result already applied counts nothing.
TEST_F(PaymentResultConsumer, CountsEachSettledOrderOnceByStatusAndReasonWhenItsBatchCommits) {
  auto& finished = SettledCounter(R"(status="Finished",reason="")");
  auto& no_funds = SettledCounter(R"(status="Cancelled",reason="insufficient_funds")");
  auto& no_account = SettledCounter(R"(status="Cancelled",reason="account_not_found")");
  auto& created_to_final =
      observability::Registry::Global().GetHistogram("orders_created_to_final_seconds", "");
  const auto before = std::vector{finished.Value(), no_funds.Value(), no_account.Value()};
  const auto observed_before = created_to_final.Count();

  const auto paid = PublishedOrder();
  const auto refused = PublishedOrder();
  const std::vector batch{Result(paid.id, user_, nullptr), Result(refused.id, user_, "insufficient_funds"),
                          Result(core::NewUuid(), user_, nullptr)};
  const auto dispositions = HandlePaymentResults(pool_, batch, std::stop_token());
  EXPECT_EQ(dispositions, (std::vector{messaging::Disposition::kAck, messaging::Disposition::kAck,
                                       messaging::Disposition::kDeadLetter}));
  EXPECT_EQ(finished.Value() - before[0], 1U);
  EXPECT_EQ(no_funds.Value() - before[1], 1U);
  EXPECT_EQ(no_account.Value() - before[2], 0U);
  EXPECT_EQ(created_to_final.Count() - observed_before, 2U);

  // Delivered again (the broker lost the ack): acked as a duplicate, counted never.
  EXPECT_EQ(HandlePaymentResults(pool_, {batch[0]}, std::stop_token()),
            std::vector{messaging::Disposition::kAck});
  EXPECT_EQ(finished.Value() - before[0], 1U);
}

// The batch's COMMIT fails (held, then raising, at the server): nothing settled, nothing counted, and
// the delivery is left for the broker to hand out again.
TEST_F(PaymentResultConsumer, CountsNothingWhenTheBatchsCommitFails) {
  auto& finished = SettledCounter(R"(status="Finished",reason="")");
  const auto before = finished.Value();
  const auto order = PublishedOrder();
  const db::SlowCommits slow(db::TestDatabaseUrl(), "inbox");
  db::Pool failing(db::TestDatabaseUrl(), 1, db::SlowCommits::Options(db::kSlowCommitThenFail));
  std::stop_source stopped;  // one attempt: no retry after the failure
  stopped.request_stop();
  EXPECT_EQ(HandlePaymentResults(failing, {Result(order.id, user_, nullptr)}, stopped.get_token()),
            std::vector{messaging::Disposition::kRetry});
  EXPECT_EQ(finished.Value(), before);
  auto lease = pool_.Acquire();
  EXPECT_EQ(lease->Exec("SELECT status FROM orders WHERE id = $1", {order.id}).Text(0, "status"), "Created");
}

}  // namespace
}  // namespace kpo::orders
