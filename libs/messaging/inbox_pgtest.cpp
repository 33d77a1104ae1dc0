// The inbox sweep against a real PostgreSQL: KPO_TEST_DATABASE_URL (default: the local orders
// database, whose inbox table this applies if it is missing).
#include <gtest/gtest.h>

#include <vector>

#include "core/ids.hpp"
#include "db/connection.hpp"
#include "db/migrations.hpp"
#include "db/retention_test_support.hpp"
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

TEST_F(InboxRetention, ForgetsOnlyMessagesOlderThanTheRetentionAChunkAtATime) {
  std::vector<std::string> inserted;
  db::ExpectSweepForgetsOldRowsAChunkAtATime(
      db_, InboxSweep(), [&](int days_ago) { return inserted.emplace_back(Insert(days_ago)); },
      [&](const std::string& id) { return Remembered(id); });
  for (const auto& id : inserted) db_.Exec("DELETE FROM inbox WHERE message_id = $1", {id});
}

TEST(InboxSweep, ReadsOnlyTheChunkItDeletesNotTheWholeTable) {
  db::Connection db(Url(), {});
  db::Migrate(db, {InboxSchema()}, "inbox-sweep-test");
  db::ExpectSweepReadsOnlyItsChunk(
      Url(), InboxSweep(), "inbox",
      "INSERT INTO inbox (message_id, type, received_at) "
      "SELECT gen_random_uuid(), 'Test', now() - interval '3700 days' - i * interval '1 ms' "
      "FROM generate_series(1, 20000) AS i");
}

}  // namespace
}  // namespace kpo::messaging
