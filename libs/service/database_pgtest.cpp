// Start-up migrations against a real PostgreSQL: KPO_TEST_DATABASE_URL (default: the tests' orders
// database).
#include <gtest/gtest.h>

#include <chrono>

#include "core/ids.hpp"
#include "db/test_database.hpp"
#include "service/database.hpp"

namespace kpo::service {
namespace {

// An index built over a large table takes longer than a request's 10 s statement timeout; with
// that timeout, an upgrade of a big database failed at every start. The migration asserts the
// bound it runs under (waiting that long would make a slow test).
TEST(MigrateWithRetry, MigrationsRunWithMinutesForEachStatement) {
  const std::string component = "migration-timeout-test-" + core::RandomHex(6);
  const std::vector<db::Schema> schemas{{component, {{1, "0001_check.sql", R"sql(
    DO $$ BEGIN
      IF current_setting('statement_timeout')::interval < interval '10 minutes' THEN
        RAISE EXCEPTION 'migrations run with statement_timeout %', current_setting('statement_timeout');
      END IF;
    END $$)sql"}}}};
  const auto url = db::TestDatabaseUrl();
  EXPECT_NO_THROW(MigrateWithRetry(url, schemas, "migration-timeout-test", 1));
  db::Connection(url, {}).Exec("DELETE FROM schema_migrations WHERE component = $1", {component});
}

// A migration the server refuses fails the same way every time: start-up fails at once with the
// server's reason, not after a minute of "database not ready".
TEST(MigrateWithRetry, AMigrationTheServerRefusesFailsAtOnce) {
  const std::string component = "migration-refused-test-" + core::RandomHex(6);
  const std::vector<db::Schema> schemas{
      {component, {{1, "0001_broken.sql", "CREATE TABLEE broken (id int)"}}}};
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(MigrateWithRetry(db::TestDatabaseUrl(), schemas, "migration-refused-test", 100), db::DbError);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5))
      << "a syntax error is not retried";
}

// Any transient failure of the database is a 503 with Retry-After (never a 500); one whose COMMIT
// was lost on the way says the change may have been applied.
TEST(UnavailableWhenTheDatabaseIs, AnswersTransientFailures503AndALostCommitAsMaybeApplied) {
  const auto map = UnavailableWhenTheDatabaseIs();
  for (const char* state : {"08006", "53100", "57014", "25006", "55P03"}) {
    const auto answer = map(db::DbError("x", state));
    ASSERT_TRUE(answer) << state;
    EXPECT_EQ(answer->status, 503);
    EXPECT_EQ(http::FindHeader(answer->headers, "Retry-After"), "1");
    EXPECT_EQ(answer->body.find("may have been applied"), std::string::npos) << state;
  }
  const auto lost_commit = map(db::DbError("x", "08007"));
  ASSERT_TRUE(lost_commit);
  EXPECT_EQ(lost_commit->status, 503);
  EXPECT_NE(lost_commit->body.find("may have been applied"), std::string::npos);
  EXPECT_FALSE(map(db::DbError("x", "23505")));
  EXPECT_FALSE(map(std::runtime_error("x")));
}

// The check's own session, ended by the server while idle (a restart, an administrator): the next
// check answers on a new one instead of reporting a healthy database down.
TEST(DatabaseReadiness, AnswersOnANewSessionAfterTheServerEndedItsOwn) {
  const std::string name = "readiness-test-" + core::RandomHex(6);
  auto readiness = DatabaseReadiness(db::TestDatabaseUrl(), name);
  EXPECT_EQ(readiness.name, "database");
  EXPECT_TRUE(readiness.required);
  ASSERT_TRUE(readiness.check());

  db::Connection admin(db::TestDatabaseUrl(), {});
  const std::string sessions = "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1";
  ASSERT_EQ(admin.Exec(sessions, {name}).Int(0, "n"), 1) << "one session of its own, kept between checks";
  admin.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", {name});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (admin.Exec(sessions, {name}).Int(0, "n") != 0) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the session was not ended";
  }

  EXPECT_TRUE(readiness.check());
  EXPECT_EQ(admin.Exec(sessions, {name}).Int(0, "n"), 1);
}

// An unreachable database is reported down within the check's own deadline, not the pool's 5 s.
TEST(DatabaseReadiness, AnUnreachableDatabaseIsDownWithinTwoSeconds) {
  auto readiness = DatabaseReadiness("postgresql://kpo:kpo@127.0.0.1:1/orders", "readiness-test");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(readiness.check(), db::DbError);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(2500));
}

}  // namespace
}  // namespace kpo::service
