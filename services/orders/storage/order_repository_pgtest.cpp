// The orders repository against a real PostgreSQL: KPO_TEST_DATABASE_URL (default: the tests' orders
// database, migrated here as the service does at start-up).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string_view>
#include <thread>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "db/migrations.hpp"
#include "db/retention_test_support.hpp"
#include "db/test_database.hpp"
#include "orders/storage/order_repository.hpp"
#include "service/bootstrap.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& orders_app_migrations();
}

namespace kpo::orders {
namespace {

std::string Url() { return db::TestDatabaseUrl(); }

class OrderEventsCleanUp : public ::testing::Test {
 protected:
  void SetUp() override {
    db::Migrate(db_, service::StandardSchemas(generated::orders_app_migrations()), "orders-migrations");
  }
  std::int64_t EventsOf(const std::string& user) {
    return db_.Exec("SELECT count(*) AS n FROM order_events WHERE user_id = $1", {user}).Int(0, "n");
  }
  void AddEvents(const std::string& user, int count, int days_ago) {
    db_.Exec(
        "INSERT INTO order_events (user_id, payload, created_at) "
        "SELECT $1, '{}', now() - make_interval(days => $3) FROM generate_series(1, $2)",
        {user, std::to_string(count), std::to_string(days_ago)});
  }

  db::Connection db_{Url(), {}};
};

// Ten years: no event of a real run is that old, so only this test's events qualify.
constexpr auto kDecade = std::chrono::hours(24 * 3650);

TEST_F(OrderEventsCleanUp, ForgetsOnlyEventsOlderThanTheRetentionAChunkAtATime) {
  const auto user = core::NewUuid();
  AddEvents(user, 5, 3700);
  AddEvents(user, 2, 3000);
  auto sweep = OrderEventSweep(kDecade);
  sweep.chunk = 3;
  EXPECT_EQ(db::SweepOnce(db_, sweep), 3);
  EXPECT_EQ(db::SweepOnce(db_, sweep), 2);
  EXPECT_EQ(db::SweepOnce(db_, sweep), 0);
  EXPECT_EQ(EventsOf(user), 2);
  db_.Exec("DELETE FROM order_events WHERE user_id = $1", {user});
}

TEST_F(OrderEventsCleanUp, ReadsOnlyTheChunkItDeletesNotTheWholeTable) {
  db::ExpectSweepReadsOnlyItsChunk(
      Url(), "order_events",
      "INSERT INTO order_events (user_id, payload, created_at) "
      "SELECT gen_random_uuid(), '{}', now() - interval '3700 days' - i * interval '1 ms' "
      "FROM generate_series(1, 20000) AS i",
      [](db::Connection& db) {
        auto sweep = OrderEventSweep(db::kTestRetention);
        sweep.chunk = db::kTestChunk;
        return db::SweepOnce(db, sweep);
      });
}

class PublishedStep : public OrderEventsCleanUp {
 protected:
  std::string NewOrder() {
    std::string id = core::NewUuid();
    db_.Exec(
        "INSERT INTO orders (id, user_id, amount, description, status, created_at, updated_at) "
        "VALUES ($1, gen_random_uuid(), 1, 'tea', 'Created', now(), now())",
        {id});
    return id;
  }
  void Publish(const std::string& id, const std::string& sent_at) {
    db::Transaction tx(db_);
    OrderRepository::RecordPublished(tx, {id}, {sent_at});
    tx.Commit();
  }
  std::string PublishedAt(const std::string& id) {
    return db_
        .Exec("SELECT to_char(published_at AT TIME ZONE 'UTC', 'HH24:MI:SS') AS at FROM orders WHERE id = $1",
              {id})
        .Text(0, "at");
  }
};

// One statement for the batches a relay deletes together: each order takes its own batch's send time.
TEST_F(PublishedStep, EachOrderOfOneRecordTakesItsOwnTime) {
  const auto first = NewOrder();
  const auto second = NewOrder();
  db::Transaction tx(db_);
  OrderRepository::RecordPublished(tx, {first, second, first},
                                   {"2026-01-01T00:00:04Z", "2026-01-01T00:00:05Z", "2026-01-01T00:00:03Z"});
  tx.Commit();
  EXPECT_EQ(PublishedAt(first), "00:00:03");  // published twice in the same deletes: the earlier
  EXPECT_EQ(PublishedAt(second), "00:00:05");
}

TEST_F(PublishedStep, IsTheConfirmTimeAndAFirstRecordStays) {
  const auto id = NewOrder();
  Publish(id, "2026-01-01T00:00:02Z");
  Publish(id, "2026-01-01T00:00:09Z");  // published again: the first record stays
  EXPECT_EQ(PublishedAt(id), "00:00:02");
}

// The relay died after the broker's confirm and before its commit; payments applied the message,
// then the relay published it again.
TEST_F(PublishedStep, IsNeverLaterThanAPaymentResultRecordedBeforeIt) {
  const auto id = NewOrder();
  db_.Exec("UPDATE orders SET paid_at = '2026-01-01T00:00:03Z' WHERE id = $1", {id});
  Publish(id, "2026-01-01T00:00:08Z");
  EXPECT_EQ(PublishedAt(id), "00:00:03");
}

// A replica of the version before the timeline moved into the order's row (migrations 0006, 0007)
// records its steps in order_timeline while a rolling update runs; the row gets them, under the same
// rules as the new code's: a first record stays, and "published" is never later than the payment.
TEST_F(PublishedStep, AStepTheVersionBeforeRecordsInTheOldTableReachesTheOrderRow) {
  const auto id = NewOrder();
  EXPECT_EQ(PublishedAt(id), "");  // NULL until a relay records it
  const auto old_step = [&](const char* step, const char* at) {
    db_.Exec("INSERT INTO order_timeline (order_id, step, at) VALUES ($1, $2, $3)", {id, step, at});
  };
  Publish(id, "2026-01-01T00:00:04Z");            // a new relay first
  old_step("published", "2026-01-01T00:00:06Z");  // then an old one repeats it: the first record stays
  EXPECT_EQ(PublishedAt(id), "00:00:04");
  old_step("payment_failed", "2026-01-01T00:00:03Z");  // paid before the published step: it moves back
  EXPECT_EQ(
      db_.Exec("SELECT to_char(paid_at AT TIME ZONE 'UTC', 'HH24:MI:SS') AS at FROM orders WHERE id = $1",
               {id})
          .Text(0, "at"),
      "00:00:03");
  EXPECT_EQ(PublishedAt(id), "00:00:03");
  db_.Exec("DELETE FROM order_timeline WHERE order_id = $1", {id});
  db_.Exec("DELETE FROM orders WHERE id = $1", {id});
}

// The old relay repeats a publish after the new consumer recorded the payment in the row.
TEST_F(PublishedStep, AnOldRelaysRepeatAfterThePaymentTakesThePaymentsTime) {
  const auto id = NewOrder();
  db_.Exec("UPDATE orders SET paid_at = '2026-01-01T00:00:03Z' WHERE id = $1", {id});
  db_.Exec("INSERT INTO order_timeline (order_id, step, at) VALUES ($1, 'published', '2026-01-01T00:00:08Z')",
           {id});
  EXPECT_EQ(PublishedAt(id), "00:00:03");
  db_.Exec("DELETE FROM order_timeline WHERE order_id = $1", {id});
  db_.Exec("DELETE FROM orders WHERE id = $1", {id});
}

// Admission's measurement, on orders of the year 2300: no other order is in its ranges, and the
// test's own are greater than any other id (the "later orders" it looks at are its own).
class PipelineBacklogTest : public OrderEventsCleanUp {
 protected:
  static constexpr std::string_view kReplicaSession = "orders-admission-pgtest";
  void SetUp() override {
    OrderEventsCleanUp::SetUp();
    TearDown();
  }
  void TearDown() override { db_.Exec("DELETE FROM orders WHERE id::text LIKE 'f2300000-%'"); }
  static core::TimePoint At(int seconds) {
    return *core::ParseRfc3339("2300-01-01T00:00:00Z") + std::chrono::seconds(seconds);
  }
  // An order created `seconds` into the test's minute; ids follow creation, as UUIDv7's do.
  std::string AddOrder(int seconds, const std::string& status) {
    std::string id = fmt::format("f2300000-0000-7000-8000-{:012d}", seconds);
    db_.Exec(
        "INSERT INTO orders (id, user_id, amount, description, status, created_at, updated_at) "
        "VALUES ($1, gen_random_uuid(), 1, 'tea', $2, $3, $3)",
        {id, status, core::FormatRfc3339(At(seconds))});
    return id;
  }
  PipelineBacklog Measure(int watched_since = 0) {
    return OrderRepository::PipelineBacklogNow(db_, At(100), std::chrono::seconds(30), At(watched_since), 10,
                                               kReplicaSession);
  }
};

TEST_F(PipelineBacklogTest, CountsTheWindowsWaitingOrdersAndTheOldestsWait) {
  AddOrder(75, "Created");
  AddOrder(90, "Created");
  AddOrder(95, "Finished");
  AddOrder(101, "Created");  // after "now": not counted
  const auto backlog = Measure();
  EXPECT_EQ(backlog.waiting, 2);
  EXPECT_EQ(backlog.oldest_ms, 25'000);
  EXPECT_EQ(backlog.lag_ms, 25'000);  // fewer than ten wait: the oldest's wait
  EXPECT_FALSE(backlog.stalled);
}

// The lag is the wait of the order that a tenth of the counted ones (rounded down) waited longer than.
TEST_F(PipelineBacklogTest, TheLagSetsTheLongestWaitingTenthAside) {
  for (int second = 71; second <= 95; ++second) AddOrder(second, "Created");
  const auto backlog = Measure();  // counts up to 10: the orders of 71 to 80 s
  EXPECT_EQ(backlog.waiting, 10);
  EXPECT_EQ(backlog.oldest_ms, 29'000);
  EXPECT_EQ(backlog.lag_ms, 28'000);
}

TEST_F(PipelineBacklogTest, AnOrderLeftBehindIsAStallUntilOnePlacedAfterItIsPaidFor) {
  AddOrder(10, "Created");  // left the window (before 70 s) unpaid
  EXPECT_TRUE(Measure().stalled);
  const auto probe = AddOrder(80, "Created");
  const auto stalled = Measure();
  EXPECT_TRUE(stalled.stalled);
  EXPECT_EQ(stalled.waiting, 1);
  db_.Exec("UPDATE orders SET status = 'Finished' WHERE id = $1", {probe});
  const auto moving = Measure();
  EXPECT_FALSE(moving.stalled);  // the one left behind is a straggler (e.g. its event was dead-lettered)
  EXPECT_EQ(moving.waiting, 0);
}

// Each replica's admission holds a session under one name; the measurement counts them, so that
// each replica admits its share (admission_policy.hpp).
TEST_F(PipelineBacklogTest, CountsTheReplicasSessions) {
  EXPECT_EQ(Measure().replicas, 0);
  db::Connection first(Url(), {.application_name = std::string(kReplicaSession)});
  EXPECT_EQ(Measure().replicas, 1);
  {
    db::Connection second(Url(), {.application_name = std::string(kReplicaSession)});
    EXPECT_EQ(Measure().replicas, 2);
  }
  // A replica gone no longer counts: its backend leaves pg_stat_activity as it exits, just after
  // the client closed the connection.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Measure().replicas != 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(Measure().replicas, 1);
}

TEST_F(PipelineBacklogTest, OrdersLeftBehindBeforeTheWatchBeganAreNotAStall) {
  AddOrder(10, "Created");
  EXPECT_FALSE(Measure(/*watched_since=*/20).stalled);
  EXPECT_TRUE(Measure(/*watched_since=*/5).stalled);
}

}  // namespace
}  // namespace kpo::orders
