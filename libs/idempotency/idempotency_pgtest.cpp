// The idempotency keys' retention against a real PostgreSQL: KPO_TEST_DATABASE_URL (default: the
// tests' database orders_test, whose idempotency_keys table this applies if it is missing). Also: a
// keyed request whose COMMIT's answer was lost (Run with `applied`; needs root and a local server).
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <optional>
#include <vector>

#include "core/ids.hpp"
#include "db/connection.hpp"
#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "db/retention_test_support.hpp"
#include "db/stopped_backend_testing.hpp"
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

// A stored answer is replayed within kReplayWindow and not after it: the key then runs its request
// afresh (Claim answers nullopt).
TEST_F(KeyRetention, AnAnswerIsReplayedWithinTheWindowOnly) {
  const auto hours = static_cast<int>(kReplayWindow.count());
  const auto recent = Insert(hours - 1);
  const auto expired = Insert(hours + 1);
  db::Pool pool(db::TestDatabaseUrl(), 1, {});
  auto lease = pool.Acquire();
  db::Transaction tx(*lease);
  const std::vector<KeyedRequest> requests{{user_, recent, "f", "f"}, {user_, expired, "f", "f"}};
  const auto answers = Claim(tx, requests);
  tx.Commit();
  ASSERT_EQ(answers.size(), 2U);
  ASSERT_TRUE(answers[0].has_value()) << "stored an hour inside the window: replayed";
  EXPECT_EQ(answers[0]->status, 201);
  EXPECT_FALSE(answers[1].has_value()) << "stored an hour past the window: runs again";
}

// A key stored with the fingerprint of the body as sent (before JSON bodies were put in key order)
// still replays to a repeat of that body; a key stored with another fingerprint is 422.
TEST_F(KeyRetention, AKeyStoredWithTheBodyAsSentStillReplays) {
  const auto stored = Insert(1);  // fingerprint 'f'
  db::Pool pool(db::TestDatabaseUrl(), 1, {});
  auto lease = pool.Acquire();
  db::Transaction tx(*lease);
  const std::vector<KeyedRequest> requests{{user_, stored, "in key order", "f"},
                                           {user_, stored, "in key order", "other body as sent"}};
  const auto answers = Claim(tx, requests);
  tx.Commit();
  ASSERT_EQ(answers.size(), 2U);
  ASSERT_TRUE(answers[0].has_value());
  EXPECT_EQ(answers[0]->status, 201) << "the body as sent matches: replayed";
  ASSERT_TRUE(answers[1].has_value());
  EXPECT_EQ(answers[1]->status, 422) << "neither matches: another request";
}

TEST(KeySweep, OutlastsTheReplayWindow) {
  EXPECT_GT(KeySweep().retention, kReplayWindow) << "a key must not go while it may still be replayed";
}

// The effect writes its row, then its session is stopped: the stored answer and the COMMIT go out
// together and their answer never comes (given up after 700 ms); the session is resumed at 2 s and
// ends. Run then answers as `applied` finds the row: the effect's answer, replayed to a repeat of the
// key, if it is there; 08006 (nothing applied) if not; never the lost COMMIT's 08007.
TEST(RunWithApplied, AKeyedRequestWhoseCommitAnswerWasLostIsAnsweredAsTheDatabaseSays) {
  using namespace std::chrono_literals;
  db::Connection db(db::TestDatabaseUrl(), {});
  db::Migrate(db, {IdempotencySchema()}, "idempotency-sweep-test");
  db.ExecScript("CREATE TABLE IF NOT EXISTS lost_commit_test (id text PRIMARY KEY)");
  db::ConnectionOptions impatient;
  impatient.statement_timeout = 200ms;
  impatient.reply_grace = 300ms;
  db::Pool pool(db::TestDatabaseUrl(), 1, impatient);
  const std::string user = core::NewUuid();
  const std::string row = core::NewUuid();
  http::Request request;
  request.method = "POST";
  request.path = "/things";
  request.headers = {{"Idempotency-Key", core::NewUuid()}};
  request.body = "{}";
  std::optional<db::ResumeGuard> resume;
  bool stopped = false;
  const auto effect = [&](db::Transaction& tx) {
    tx.Exec("INSERT INTO lost_commit_test VALUES ($1)", {row});
    const auto backend = static_cast<pid_t>(tx.BackendPid());
    if (!resume && db::IsLocalPostgres(backend)) {
      resume.emplace(backend, std::chrono::seconds(2));
      stopped = ::kill(backend, SIGSTOP) == 0;
    }
    return http::JsonResponse(201, R"({"id":")" + row + "\"}");
  };
  const auto applied = [&](db::Connection& connection) {
    return !connection.Exec("SELECT 1 FROM lost_commit_test WHERE id = $1", {row}).Empty();
  };
  try {
    EXPECT_EQ(idempotency::Run(pool, request, user, effect, applied).status, 201);
    const auto repeat = idempotency::Run(pool, request, user, effect, applied);
    EXPECT_EQ(repeat.status, 201);
    EXPECT_TRUE(http::FindHeader(repeat.headers, "Idempotent-Replayed")) << "the key's answer was stored";
  } catch (const db::DbError& error) {
    EXPECT_EQ(error.SqlState(), "08006") << error.what();
    EXPECT_FALSE(applied(db));
  }
  if (!stopped) GTEST_SKIP() << "cannot stop the test database's backend (needs root, a local server)";
}

}  // namespace
}  // namespace kpo::idempotency
