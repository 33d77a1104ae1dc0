// The idempotency keys' retention against a real PostgreSQL: KPO_TEST_DATABASE_URL (default: the
// tests' database orders_test, whose idempotency_keys table this applies if it is missing).
#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "db/connection.hpp"
#include "db/migrations.hpp"
#include "db/retention_test_support.hpp"
#include "db/test_database.hpp"
#include "idempotency/idempotency.hpp"

namespace kpo::idempotency {
namespace {

class KeyRetention : public ::testing::Test {
 protected:
  void SetUp() override { db::Migrate(db_, {IdempotencySchema()}, "idempotency-sweep-test"); }

  std::string Insert(int hours_ago) {
    auto key = core::NewUuid();
    db_.Exec(
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, status, body, created_at) "
        "VALUES ($1, $2, 'f', 201, '{}', now() - make_interval(hours => $3))",
        {user_, key, std::to_string(hours_ago)});
    return key;
  }
  bool Remembered(const std::string& key) {
    return !db_.Exec("SELECT 1 FROM idempotency_keys WHERE user_id = $1 AND key = $2", {user_, key}).Empty();
  }
  void TearDown() override { db_.Exec("DELETE FROM idempotency_keys WHERE user_id = $1", {user_}); }

  db::Connection db_{db::TestDatabaseUrl(), {}};
  std::string user_ = core::NewUuid();
};

TEST_F(KeyRetention, ForgetsOnlyKeysOlderThanTheRetentionAChunkAtATime) {
  db::ExpectSweepForgetsOldRowsAChunkAtATime(
      db_, KeySweep(), [&](int days_ago) { return Insert(24 * days_ago); },
      [&](const std::string& key) { return Remembered(key); });
}

TEST(KeySweep, ReadsOnlyTheChunkItDeletesNotTheWholeTable) {
  db::Connection db(db::TestDatabaseUrl(), {});
  db::Migrate(db, {IdempotencySchema()}, "idempotency-sweep-test");
  db::ExpectSweepReadsOnlyItsChunk(
      db::TestDatabaseUrl(), KeySweep(), "idempotency_keys",
      "INSERT INTO idempotency_keys (user_id, key, fingerprint, status, body, created_at) "
      "SELECT gen_random_uuid(), i::text, 'f', 201, '{}', "
      "now() - interval '3700 days' - i * interval '1 ms' "
      "FROM generate_series(1, 20000) AS i");
}

TEST(KeySweep, OutlastsTheReplayWindow) {
  EXPECT_GT(KeySweep().retention, std::chrono::hours(24))
      << "a key must not go while it may still be replayed";
}

}  // namespace
}  // namespace kpo::idempotency
