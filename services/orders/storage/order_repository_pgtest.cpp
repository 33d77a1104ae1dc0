// The orders repository against a real PostgreSQL: KPO_TEST_DATABASE_URL (default: the tests' orders
// database, migrated here as the service does at start-up).
#include <gtest/gtest.h>

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
  EXPECT_EQ(OrderRepository::DeleteEventsOlderThan(db_, kDecade, 3), 3);
  EXPECT_EQ(OrderRepository::DeleteEventsOlderThan(db_, kDecade, 3), 2);
  EXPECT_EQ(OrderRepository::DeleteEventsOlderThan(db_, kDecade, 3), 0);
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
        return OrderRepository::DeleteEventsOlderThan(db, db::kTestRetention,
                                                      static_cast<int>(db::kTestChunk));
      });
}

}  // namespace
}  // namespace kpo::orders
