// Against a real PostgreSQL: KPO_TEST_DATABASE_URL (default: the local orders database).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "core/ids.hpp"
#include "db/migrations.hpp"
#include "db/pool.hpp"

namespace kpo::db {
namespace {

std::string Url() {
  const char* url = std::getenv("KPO_TEST_DATABASE_URL");
  return url != nullptr ? url : "postgresql://kpo:kpo@localhost:5432/orders";
}

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
      EXPECT_TRUE(error.IsCheckViolation()) << error.what();
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
    EXPECT_TRUE(error.IsUniqueViolation()) << error.what();
  }
  try {
    connection.Exec("UPDATE " + table_ + " SET v = v - 11 WHERE id = 1");
    FAIL() << "expected a check violation";
  } catch (const DbError& error) {
    EXPECT_TRUE(error.IsCheckViolation()) << error.what();
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
  // The version table is shared per database; use a version no real migration uses.
  const int version = 900000 + static_cast<int>(std::strtol(core::RandomHex(2).c_str(), nullptr, 16));
  std::vector<Migration> migrations{{version, "test", sql.c_str()}};
  std::atomic<int> applied{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      Connection connection(Url(), {});
      applied += Migrate(connection, migrations, "test-migrations");
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(applied.load(), 1);
  Connection connection(Url(), {});
  connection.Exec("DELETE FROM schema_migrations WHERE version = $1", {std::to_string(version)});
}

}  // namespace
}  // namespace kpo::db
