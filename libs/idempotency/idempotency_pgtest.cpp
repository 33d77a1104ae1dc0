// The idempotency keys' retention against a real PostgreSQL: KPO_TEST_DATABASE_URL (default: the
// local orders database, whose idempotency_keys table this applies if it is missing).
#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "db/connection.hpp"
#include "db/migrations.hpp"
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

// Ten years: no key of a real run is that old, so only this test's keys qualify.
constexpr auto kDecade = std::chrono::hours(24 * 3650);

TEST_F(KeyRetention, ForgetsOnlyKeysOlderThanTheRetentionAChunkAtATime) {
  const auto old1 = Insert(24 * 3700), old2 = Insert(24 * 3700), old3 = Insert(24 * 3700);
  const auto recent = Insert(24 * 3000), fresh = Insert(0);
  auto sweep = KeySweep();
  sweep.retention = kDecade;
  sweep.chunk = 2;
  EXPECT_EQ(db::SweepOnce(db_, sweep), 2);
  EXPECT_EQ(db::SweepOnce(db_, sweep), 1);
  EXPECT_EQ(db::SweepOnce(db_, sweep), 0);
  EXPECT_FALSE(Remembered(old1));
  EXPECT_FALSE(Remembered(old2));
  EXPECT_FALSE(Remembered(old3));
  EXPECT_TRUE(Remembered(recent));
  EXPECT_TRUE(Remembered(fresh));
}

TEST(KeySweep, OutlastsTheReplayWindow) {
  EXPECT_GT(KeySweep().retention, std::chrono::hours(24))
      << "a key must not go while it may still be replayed";
}

}  // namespace
}  // namespace kpo::idempotency
