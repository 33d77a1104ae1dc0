// Against a real PostgreSQL: KPO_TEST_DATABASE_URL (default: the tests' database orders_test; the
// migration tests change its schema_migrations table, so never point it at a database in use).
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "core/ids.hpp"
#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "db/statistics.hpp"
#include "db/test_database.hpp"

namespace kpo::db {
namespace {

std::string Url() { return TestDatabaseUrl(); }

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = "t_" + core::RandomHex(6);
    Connection connection(Url(), {});
    connection.ExecScript("CREATE TABLE " + table_ +
                          " (id int PRIMARY KEY, v bigint NOT NULL CHECK (v >= 0))");
  }
  void TearDown() override {
    Connection connection(Url(), {});
    connection.ExecScript("DROP TABLE IF EXISTS " + table_);
    connection.ExecScript("DROP TABLE IF EXISTS " + table_ + "_m");
  }
  std::string table_;
};

TEST_F(DbTest, ParametersAreNeverInterpolated) {
  Connection connection(Url(), {});
  auto result =
      connection.Exec("SELECT $1::text AS v, $2::text IS NULL AS n", {"'; DROP TABLE x; --", std::nullopt});
  EXPECT_EQ(result.Text(0, "v"), "'; DROP TABLE x; --");
  EXPECT_TRUE(result.Bool(0, "n"));
}

TEST_F(DbTest, TheServersNoticesGoToTheJsonLogNotToStderr) {
  // libpq prints notices to stderr as plain text ("NOTICE:  relation ... already exists, skipping"),
  // which broke the services' one-JSON-object-per-line logs.
  Connection connection(Url(), {});
  testing::internal::CaptureStderr();
  testing::internal::CaptureStdout();
  connection.ExecScript("CREATE TABLE IF NOT EXISTS " + table_ + " (id int)");
  connection.ExecScript("DO $$ BEGIN RAISE WARNING 'kpo-warning-test'; END $$");
  spdlog::default_logger()->flush();
  const auto out = testing::internal::GetCapturedStdout();
  const auto err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("already exists"), std::string::npos) << err;
  EXPECT_EQ(err.find("kpo-warning-test"), std::string::npos) << err;
  EXPECT_NE(out.find("database: WARNING:  kpo-warning-test"), std::string::npos) << out;
}

TEST_F(DbTest, UncommittedTransactionRollsBack) {
  Connection connection(Url(), {});
  {
    Transaction tx(connection);
    tx.Exec("INSERT INTO " + table_ + " VALUES (1, 10)");
  }
  EXPECT_EQ(connection.Exec("SELECT count(*) AS n FROM " + table_).Int(0, "n"), 0);
  EXPECT_TRUE(connection.Healthy());
}

TEST_F(DbTest, QueuedStatementsRunInOrderBeforeTheNextExecAndCommitTogether) {
  Connection connection(Url(), {});
  const std::string insert = "INSERT INTO " + table_ + " VALUES ($1, $2)";
  const std::string update = "UPDATE " + table_ + " SET v = v + 1 WHERE id = 1";
  {
    Transaction tx(connection);
    tx.Queue(insert, {"1", "10"});
    tx.Queue(update);
    EXPECT_EQ(tx.Exec("SELECT v FROM " + table_ + " WHERE id = 1").Int(0, "v"), 11);
    tx.Queue(insert, {"2", "20"});
    tx.Commit();
  }
  EXPECT_EQ(connection.Exec("SELECT sum(v) AS s FROM " + table_).Int(0, "s"), 31);
  EXPECT_TRUE(connection.Healthy());
}

TEST_F(DbTest, AfterCommitActionsRunOnceTheTransactionCommittedAndNeverOtherwise) {
  Connection connection(Url(), {});
  const std::string insert = "INSERT INTO " + table_ + " VALUES ($1, $2)";
  std::vector<std::string> ran;
  {
    Transaction tx(connection);
    tx.Queue(insert, {"1", "10"});
    tx.AfterCommit([&] { ran.push_back("first"); });
    tx.AfterCommit([&] { ran.push_back("second"); });
    EXPECT_TRUE(ran.empty());
    tx.Commit();
    EXPECT_EQ(ran, (std::vector<std::string>{"first", "second"}));
  }
  ran.clear();
  {
    Transaction tx(connection);  // rolled back: never committed
    tx.Queue(insert, {"2", "20"});
    tx.AfterCommit([&] { ran.push_back("rolled back"); });
  }
  {
    Transaction tx(connection);
    tx.Queue(insert, {"3", "-1"});  // the CHECK fails the commit
    tx.AfterCommit([&] { ran.push_back("failed"); });
    EXPECT_THROW(tx.Commit(), DbError);
  }
  EXPECT_TRUE(ran.empty());
  EXPECT_EQ(connection.Exec("SELECT count(*) AS n FROM " + table_).Int(0, "n"), 1);
}

TEST_F(DbTest, AQueuedStatementThatFailsFailsTheCommitAndNothingStays) {
  Connection connection(Url(), {});
  const std::string insert = "INSERT INTO " + table_ + " VALUES ($1, $2)";
  {
    Transaction tx(connection);
    tx.Queue(insert, {"1", "10"});
    tx.Queue(insert, {"2", "-5"});  // violates the CHECK
    tx.Queue(insert, {"3", "30"});
    try {
      tx.Commit();
      FAIL() << "expected the check violation";
    } catch (const DbError& error) {
      EXPECT_EQ(error.SqlState(), "23514") << error.what();  // check_violation
    }
  }
  EXPECT_TRUE(connection.Healthy());
  EXPECT_EQ(connection.Exec("SELECT count(*) AS n FROM " + table_).Int(0, "n"), 0);
  // The connection is usable for the next transaction.
  Transaction tx(connection);
  tx.Queue(insert, {"4", "40"});
  tx.Commit();
  EXPECT_EQ(connection.Exec("SELECT count(*) AS n FROM " + table_).Int(0, "n"), 1);
}

// A PostgreSQL restart ends every session like this (FATAL 57P01) while statements are in flight:
// the chaos suite saw "pipeline: cannot exit pipeline mode while busy" answered as a 500 then.
TEST_F(DbTest, ASessionEndedUnderAPipelineIsAConnectionFailureAndTheConnectionIsDropped) {
  Connection connection(Url(), {});
  const auto pid = connection.Exec("SELECT pg_backend_pid() AS pid").Int(0, "pid");
  Connection killer(Url(), {});
  killer.Exec("SELECT pg_terminate_backend($1::int)", {std::to_string(pid)});
  const std::string select = "SELECT 1 AS one";
  try {
    connection.ExecPipelined({{select}, {select}});
    ADD_FAILURE() << "a pipeline on an ended session succeeded";
  } catch (const DbError& error) {
    EXPECT_TRUE(error.IsUnavailable()) << error.what() << " (SQLSTATE " << error.SqlState() << ")";
  }
  EXPECT_FALSE(connection.Healthy()) << "the pool must not hand this connection out again";
}

// The session ended with the transaction's COMMIT on its way: whether it committed cannot be known
// here, and the error says so (08007), so that no caller answers "not done, try again".
TEST_F(DbTest, ACommitOnALostConnectionHasAnUnknownOutcome) {
  Connection connection(Url(), {});
  Transaction tx(connection);
  const auto pid = tx.Exec("SELECT pg_backend_pid() AS pid", {}).Int(0, "pid");
  Connection(Url(), {}).Exec("SELECT pg_terminate_backend($1::int)", {std::to_string(pid)});
  try {
    tx.Commit();
    ADD_FAILURE() << "a commit on an ended session succeeded";
  } catch (const DbError& error) {
    EXPECT_TRUE(error.IsOutcomeUnknown()) << error.what() << " (SQLSTATE " << error.SqlState() << ")";
    EXPECT_TRUE(error.IsTransient());
  }
}

TEST(DbError, TransientFailuresAreTheDatabasesNotTheStatements) {
  for (const char* state :
       {"08006", "08007", "53100", "53200", "53300", "57014", "57P01", "55P03", "25006", "58030"})
    EXPECT_TRUE(DbError("x", state).IsTransient()) << state;
  for (const char* state : {"", "22003", "23505", "42P01", "40001", "XX000"})
    EXPECT_FALSE(DbError("x", state).IsTransient()) << state;
}

TEST_F(DbTest, ATransactionThatRanNothingCommitsWithoutARoundTrip) {
  Connection connection(Url(), {});
  Transaction tx(connection);
  tx.Commit();
  EXPECT_TRUE(connection.Healthy());
}

TEST_F(DbTest, ConstraintViolationsCarrySqlState) {
  Connection connection(Url(), {});
  connection.Exec("INSERT INTO " + table_ + " VALUES (1, 10)");
  try {
    connection.Exec("INSERT INTO " + table_ + " VALUES (1, 10)");
    FAIL() << "expected a unique violation";
  } catch (const DbError& error) {
    EXPECT_EQ(error.SqlState(), "23505") << error.what();  // unique_violation
  }
  try {
    connection.Exec("UPDATE " + table_ + " SET v = v - 11 WHERE id = 1");
    FAIL() << "expected a check violation";
  } catch (const DbError& error) {
    EXPECT_EQ(error.SqlState(), "23514") << error.what();  // check_violation
  }
}

TEST_F(DbTest, PoolSerialisesConcurrentUpdatesWithoutLoss) {
  Pool pool(Url(), 4, {});
  { pool.Acquire()->Exec("INSERT INTO " + table_ + " VALUES (1, 0)"); }
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        InTransaction(pool,
                      [&](Transaction& tx) { tx.Exec("UPDATE " + table_ + " SET v = v + 1 WHERE id = 1"); });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(pool.Acquire()->Exec("SELECT v FROM " + table_).Int(0, "v"), 400);
}

// After a PostgreSQL restart the pooled idle connections are dead; the audit saw the first
// request on one answered 503 fifty seconds after the database was back.
TEST_F(DbTest, PoolReplacesAnIdleConnectionTheServerEnded) {
  Pool pool(Url(), 2, {});
  std::int64_t pid = 0;
  { pid = pool.Acquire()->Exec("SELECT pg_backend_pid() AS pid").Int(0, "pid"); }
  Connection killer(Url(), {});
  killer.Exec("SELECT pg_terminate_backend($1::int, 5000)", {std::to_string(pid)});
  auto lease = pool.Acquire();
  EXPECT_NE(lease->Exec("SELECT pg_backend_pid() AS pid").Int(0, "pid"), pid);
}

TEST_F(DbTest, PoolTimesOutWhenExhausted) {
  Pool pool(Url(), 1, {}, std::chrono::milliseconds(100));
  auto held = pool.Acquire();
  EXPECT_THROW(pool.Acquire(), DbError);
}

TEST_F(DbTest, StatementTimeoutIsEnforced) {
  ConnectionOptions options;
  options.statement_timeout = std::chrono::milliseconds(100);
  Connection connection(Url(), options);
  EXPECT_THROW(connection.Exec("SELECT pg_sleep(2)"), DbError);
}

TEST_F(DbTest, ConcurrentMigrationsApplyOnce) {
  const std::string sql = "CREATE TABLE " + table_ + "_m (id int)";
  // The version table is shared per database: a component of its own keeps this test apart.
  const std::string component = "test-" + core::RandomHex(4);
  const std::vector<Schema> schemas{{component, {{1, "test", sql.c_str()}}}};
  std::atomic<int> applied{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      Connection connection(Url(), {});
      applied += Migrate(connection, schemas, "test-migrations");
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(applied.load(), 1);
  Connection connection(Url(), {});
  connection.Exec("DELETE FROM schema_migrations WHERE component = $1", {component});
}

// Whichever replica migrates first holds the lock for the whole migration, longer than the lock
// timeout here: the other waits for it (before, it gave up with 55P03 after the lock timeout).
TEST_F(DbTest, AReplicaWaitsForAMigrationLongerThanTheLockTimeout) {
  const std::string component = "test-" + core::RandomHex(4);
  const std::vector<Schema> schemas{{component, {{1, "slow", "SELECT pg_sleep(0.6)"}}}};
  ConnectionOptions options;
  options.lock_timeout = std::chrono::milliseconds(200);
  std::atomic<int> applied{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&] {
      Connection connection(Url(), options);
      try {
        applied += Migrate(connection, schemas, "test-slow-migrations");
      } catch (const DbError& error) {
        ADD_FAILURE() << error.what();
        ++failed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(applied.load(), 1);
  Connection(Url(), {}).Exec("DELETE FROM schema_migrations WHERE component = $1", {component});
}

// A PostgreSQL schema (namespace) of its own, first on the search path of `connection`, so a
// test can have its own schema_migrations table; dropped with everything in it at the end.
class PrivateNamespace {
 public:
  explicit PrivateNamespace(Connection& connection)
      : connection_(connection), name_("m_" + core::RandomHex(6)) {
    connection_.ExecScript("CREATE SCHEMA " + name_ + "; SET search_path TO " + name_);
  }
  ~PrivateNamespace() { connection_.ExecScript("RESET search_path; DROP SCHEMA " + name_ + " CASCADE"); }
  PrivateNamespace(const PrivateNamespace&) = delete;
  PrivateNamespace& operator=(const PrivateNamespace&) = delete;

 private:
  Connection& connection_;
  std::string name_;
};

TEST_F(DbTest, ComponentsAreVersionedApart) {
  Connection connection(Url(), {});
  PrivateNamespace ns(connection);
  const std::vector<Schema> schemas{
      {"library", {{1, "0001_library.sql", "CREATE TABLE library_table (id int)"}}},
      ServiceSchema({{1, "0001_init.sql", "CREATE TABLE service_table (id int)"}})};
  EXPECT_EQ(Migrate(connection, schemas, "test-migrations"), 2);
  EXPECT_EQ(Migrate(connection, schemas, "test-migrations"), 0);
  const auto rows = connection.Exec("SELECT component FROM schema_migrations ORDER BY component");
  ASSERT_EQ(rows.Rows(), 2);
  EXPECT_EQ(rows.Text(0, "component"), "library");
  EXPECT_EQ(rows.Text(1, "component"), kServiceComponent);
}

// A database migrated before components existed: its versions are the service's, and a
// library's CREATE TABLE IF NOT EXISTS accepts the table the service's old migration created.
TEST_F(DbTest, ATableFromBeforeComponentsIsUpgraded) {
  Connection connection(Url(), {});
  PrivateNamespace ns(connection);
  connection.ExecScript(R"sql(
    CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
                                    applied_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO schema_migrations (version, name) VALUES (1, '0001_init.sql');
    CREATE TABLE shared (id int);)sql");
  const std::vector<Schema> schemas{
      {"library", {{1, "0001_library.sql", "CREATE TABLE IF NOT EXISTS shared (id int)"}}},
      ServiceSchema({{1, "0001_init.sql", "CREATE TABLE shared (id int)"},
                     {2, "0002_more.sql", "ALTER TABLE shared ADD COLUMN v int"}})};
  EXPECT_EQ(Migrate(connection, schemas, "test-migrations"), 2);  // library 1 and service 2
  const auto rows =
      connection.Exec("SELECT component, version FROM schema_migrations ORDER BY component, version");
  ASSERT_EQ(rows.Rows(), 3);
  EXPECT_EQ(rows.Text(0, "component"), "library");
  EXPECT_EQ(rows.Text(1, "component"), kServiceComponent);
  EXPECT_EQ(rows.Int(1, "version"), 1);
  EXPECT_EQ(rows.Int(2, "version"), 2);
  // An older binary still records its migrations (as the service's).
  connection.Exec("INSERT INTO schema_migrations (version, name) VALUES (3, '0003_old.sql')");
  EXPECT_EQ(connection.Exec("SELECT component FROM schema_migrations WHERE version = 3").Text(0, "component"),
            kServiceComponent);
}

// Inserts rows `from`..`to` (inclusive) and makes the counts visible to pg_stat_user_tables at once
// (a backend otherwise reports them up to a second later).
void InsertRows(Connection& connection, const std::string& table, int from, int to) {
  connection.Exec("INSERT INTO " + table + " SELECT i, i FROM generate_series($1::int, $2::int) i",
                  {std::to_string(from), std::to_string(to)});
  connection.Exec("SELECT pg_stat_force_next_flush()");
}

bool Analyzed(Connection& connection, const std::string& table) {
  StatisticsKeeperOptions options;
  options.min_rows = 1000;
  options.growth = 0.5;
  const auto analyzed = AnalyzeStaleTables(connection, options);
  return std::find(analyzed.begin(), analyzed.end(), "public." + table) != analyzed.end();
}

TEST_F(DbTest, AYoungTableIsAnalyzedOnceLargeEnoughAndAgainOnlyWhenItHasGrownByHalf) {
  Connection connection(Url(), {});
  InsertRows(connection, table_, 1, 500);
  EXPECT_FALSE(Analyzed(connection, table_)) << "500 rows: below min_rows";

  InsertRows(connection, table_, 501, 2000);
  EXPECT_TRUE(Analyzed(connection, table_)) << "2,000 rows never analyzed";
  EXPECT_GT(connection.Exec("SELECT count(*) AS n FROM pg_stats WHERE tablename = $1", {table_}).Int(0, "n"),
            0)
      << "the planner has column statistics now";
  EXPECT_FALSE(Analyzed(connection, table_)) << "just analyzed";

  connection.Exec("UPDATE " + table_ + " SET v = v + 1");
  connection.Exec("SELECT pg_stat_force_next_flush()");
  EXPECT_FALSE(Analyzed(connection, table_)) << "changed in place, not grown";

  InsertRows(connection, table_, 2001, 2900);
  EXPECT_FALSE(Analyzed(connection, table_)) << "2,900 rows: grown by less than half";
  InsertRows(connection, table_, 2901, 3100);
  EXPECT_TRUE(Analyzed(connection, table_)) << "3,100 rows: more than 1.5 x the 2,000 analyzed";
}

}  // namespace
}  // namespace kpo::db
