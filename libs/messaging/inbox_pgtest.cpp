// The inbox sweep against a real PostgreSQL: KPO_TEST_DATABASE_URL (default: the local orders
// database, whose inbox table this applies if it is missing).
#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "db/connection.hpp"
#include "db/migrations.hpp"
#include "db/test_database.hpp"
#include "messaging/inbox.hpp"

namespace kpo::messaging {
namespace {

std::string Url() { return db::TestDatabaseUrl(); }

class InboxRetention : public ::testing::Test {
 protected:
  void SetUp() override { db::Migrate(db_, {InboxSchema()}, "inbox-sweep-test"); }

  std::string Insert(int days_ago) {
    auto id = core::NewUuid();
    db_.Exec(
        "INSERT INTO inbox (message_id, type, received_at) VALUES ($1, 'Test', now() - make_interval(days => "
        "$2))",
        {id, std::to_string(days_ago)});
    return id;
  }
  bool Remembered(const std::string& id) {
    return !db_.Exec("SELECT 1 FROM inbox WHERE message_id = $1", {id}).Empty();
  }

  db::Connection db_{Url(), {}};
};

// Ten years: no row of a real run is that old, so only this test's rows qualify.
constexpr auto kDecade = std::chrono::hours(24 * 3650);

TEST_F(InboxRetention, ForgetsOnlyMessagesOlderThanTheRetentionAChunkAtATime) {
  const auto old1 = Insert(3700), old2 = Insert(3700), old3 = Insert(3700);
  const auto recent = Insert(3000), fresh = Insert(0);
  auto sweep = InboxSweep(kDecade);
  sweep.chunk = 2;
  EXPECT_EQ(db::SweepOnce(db_, sweep), 2);
  EXPECT_EQ(db::SweepOnce(db_, sweep), 1);
  EXPECT_EQ(db::SweepOnce(db_, sweep), 0);
  EXPECT_FALSE(Remembered(old1));
  EXPECT_FALSE(Remembered(old2));
  EXPECT_FALSE(Remembered(old3));
  EXPECT_TRUE(Remembered(recent));
  EXPECT_TRUE(Remembered(fresh));
  db_.Exec("DELETE FROM inbox WHERE message_id = ANY($1::uuid[])", {"{" + recent + "," + fresh + "}"});
}

}  // namespace
}  // namespace kpo::messaging
