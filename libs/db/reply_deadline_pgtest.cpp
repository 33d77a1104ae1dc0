// Against a real PostgreSQL (KPO_TEST_DATABASE_URL, default the tests' orders_test); stops one of
// its backends for a moment, so it needs the right to signal the server's processes (root in CI).
// Also: settling a COMMIT whose answer was lost (SettleLostCommit, InTransactionSettled).
#include <gtest/gtest.h>
#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <functional>
#include <optional>
#include <string>

#include "core/ids.hpp"
#include "db/connection.hpp"
#include "db/pool.hpp"
#include "db/stopped_backend_testing.hpp"
#include "db/test_database.hpp"

namespace kpo::db {
namespace {

// A server that stops answering while its TCP still acknowledges (here the session's backend,
// stopped with SIGSTOP, as a hung disk or a stopped process would leave it) is given up on after
// statement_timeout + reply_grace, never waited for forever: a call then fails as a lost
// connection, a COMMIT as of unknown outcome, and the connection is not used again.
TEST(DbReplyDeadline, ACallGivesUpOnAServerThatStoppedAnswering) {
  using namespace std::chrono_literals;
  ConnectionOptions options;
  options.statement_timeout = 200ms;
  options.reply_grace = 300ms;
  for (const bool commit : {false, true}) {
    SCOPED_TRACE(commit ? "COMMIT" : "a statement");
    Connection connection(TestDatabaseUrl(), options);
    const auto backend = static_cast<pid_t>(connection.Exec("SELECT pg_backend_pid() AS pid").Int(0, "pid"));
    Transaction tx(connection);
    if (commit) {
      tx.Exec("CREATE TEMP TABLE written (v int)");
      tx.Exec("INSERT INTO written VALUES (1)");
    }
    if (!IsLocalPostgres(backend)) GTEST_SKIP() << "the test database's server is not on this machine";
    const ResumeGuard resume(backend, std::chrono::seconds(10));
    if (::kill(backend, SIGSTOP) != 0)
      GTEST_SKIP() << "cannot stop the backend (needs root): errno " << errno;
    const auto began = std::chrono::steady_clock::now();
    try {
      if (commit) {
        tx.Commit();
      } else {
        connection.Exec("SELECT 1");
      }
      ADD_FAILURE() << "a stopped server answered";
    } catch (const DbError& error) {
      EXPECT_EQ(error.SqlState(), commit ? "08007" : "08006") << error.what();
    }
    const auto waited = std::chrono::steady_clock::now() - began;
    EXPECT_GE(waited, 500ms);
    EXPECT_LT(waited, 3s);
    EXPECT_FALSE(connection.Healthy());
  }
}

// The server answers a pipeline's statements together, once the last is done: the deadline grows
// with the statements sent, so each may take up to its statement_timeout as on its own.
TEST(DbReplyDeadline, EachStatementOfAPipelineMayTakeItsOwnStatementTimeout) {
  using namespace std::chrono_literals;
  ConnectionOptions options;
  options.statement_timeout = 400ms;
  options.reply_grace = 100ms;
  Connection connection(TestDatabaseUrl(), options);
  Transaction tx(connection);
  for (int i = 0; i < 3; ++i) tx.Queue("SELECT pg_sleep(0.3)");
  const auto began = std::chrono::steady_clock::now();
  EXPECT_NO_THROW(tx.Commit());
  EXPECT_GE(std::chrono::steady_clock::now() - began, 900ms) << "the three statements ran in one round trip";
  EXPECT_TRUE(connection.Healthy());
}

// A table for rows that only one transaction writes (a new id each): what a settled COMMIT is
// judged by.
class LostCommit : public ::testing::Test {
 protected:
  void SetUp() override {
    Connection(TestDatabaseUrl(), {})
        .ExecScript("CREATE TABLE IF NOT EXISTS lost_commit_test (id text PRIMARY KEY)");
  }
  static bool Stored(Connection& connection, const std::string& id) {
    return connection.Exec("SELECT EXISTS (SELECT 1 FROM lost_commit_test WHERE id = $1) AS found", {id})
        .Bool(0, "found");
  }
  bool Stored(Connection& connection) const { return Stored(connection, id_); }
  bool Stored() {
    Connection connection(TestDatabaseUrl(), {});
    return Stored(connection);
  }
  std::function<bool(Connection&)> Applied() const {
    return [this](Connection& connection) { return Stored(connection); };
  }
  static ConnectionOptions Impatient() {
    ConnectionOptions options;
    options.statement_timeout = std::chrono::milliseconds(200);
    options.reply_grace = std::chrono::milliseconds(300);
    return options;
  }

  std::string id_ = core::NewUuid();
  Pool pool_{TestDatabaseUrl(), 2, {}};
};

// A COMMIT sent to a stopped backend is given up on (08007); the backend, resumed, may still carry it
// out: it is not judged while that session lives, and is once it has ended, as the table says.
TEST_F(LostCommit, IsNotSettledWhileTheSessionThatSentItLivesAndIsOnceItHasEnded) {
  using namespace std::chrono_literals;
  pid_t backend = 0;
  {
    Connection connection(TestDatabaseUrl(), Impatient());
    backend = connection.BackendPid();
    if (!IsLocalPostgres(backend)) GTEST_SKIP() << "the test database's server is not on this machine";
    Transaction tx(connection);
    tx.Exec("INSERT INTO lost_commit_test VALUES ($1)", {id_});
    const ResumeGuard resume(backend, std::chrono::seconds(10));
    if (::kill(backend, SIGSTOP) != 0)
      GTEST_SKIP() << "cannot stop the backend (needs root): errno " << errno;
    try {
      tx.Commit();
      ADD_FAILURE() << "a stopped server answered";
    } catch (const DbError& error) {
      ASSERT_TRUE(error.IsOutcomeUnknown()) << error.what();
    }
    const auto began = std::chrono::steady_clock::now();
    EXPECT_EQ(SettleLostCommit(pool_, backend, Applied(), 500ms), CommitOutcome::kUnknown);
    EXPECT_GE(std::chrono::steady_clock::now() - began, 500ms) << "it gave up before its patience ran out";
  }  // resumed: the backend reads what was sent and its client's close, and ends
  const auto outcome = SettleLostCommit(pool_, backend, Applied(), 10s);
  ASSERT_NE(outcome, CommitOutcome::kUnknown);
  EXPECT_EQ(outcome == CommitOutcome::kCommitted, Stored());
}

TEST_F(LostCommit, ASessionThatEndedWithoutCommittingIsSettledAsRolledBack) {
  using namespace std::chrono_literals;
  int backend = 0;
  {
    Connection connection(TestDatabaseUrl(), {});
    backend = connection.BackendPid();
    Transaction tx(connection);
    tx.Exec("INSERT INTO lost_commit_test VALUES ($1)", {id_});
  }  // rolled back and disconnected
  EXPECT_EQ(SettleLostCommit(pool_, backend, Applied(), 5s), CommitOutcome::kRolledBack);
  {
    Connection connection(TestDatabaseUrl(), {});
    backend = connection.BackendPid();
    Transaction tx(connection);
    tx.Exec("INSERT INTO lost_commit_test VALUES ($1)", {id_});
    tx.Commit();
  }
  EXPECT_EQ(SettleLostCommit(pool_, backend, Applied(), 5s), CommitOutcome::kCommitted);
}

TEST_F(LostCommit, AnUnreachableDatabaseLeavesItUnknownAfterThePatience) {
  using namespace std::chrono_literals;
  Pool unreachable("postgresql://kpo@127.0.0.1:1/none", 1, {}, 1s);
  const auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(SettleLostCommit(unreachable, 12345, Applied(), 700ms), CommitOutcome::kUnknown);
  const auto waited = std::chrono::steady_clock::now() - began;
  EXPECT_GE(waited, 700ms) << "it gave up before its patience ran out";
  EXPECT_LT(waited, 3s);
}

// The whole way: the pool's session is stopped inside the work, so its COMMIT's answer is lost; the
// backend is resumed a second later and ends. The call then answers as the database says: the result
// if the row is there, 08006 (nothing applied) if it is not, never "unknown".
TEST_F(LostCommit, InTransactionSettledAnswersAsTheDatabaseSays) {
  using namespace std::chrono_literals;
  Pool impatient(TestDatabaseUrl(), 1, Impatient());
  std::optional<ResumeGuard> resume;
  bool skipped = false;
  try {
    const auto id = InTransactionSettled(
        impatient,
        [&](Transaction& tx) {
          tx.Exec("INSERT INTO lost_commit_test VALUES ($1)", {id_});
          const auto backend = static_cast<pid_t>(tx.BackendPid());
          if (!resume && IsLocalPostgres(backend)) {
            resume.emplace(backend, std::chrono::seconds(1));
            skipped = ::kill(backend, SIGSTOP) != 0;
          }
          return id_;
        },
        [](Connection& connection, const std::string& written) { return Stored(connection, written); }, 10s);
    EXPECT_EQ(id, id_);
    EXPECT_TRUE(Stored());
  } catch (const DbError& error) {
    EXPECT_EQ(error.SqlState(), "08006") << error.what();
    EXPECT_FALSE(Stored());
  }
  if (!resume || skipped)
    GTEST_SKIP() << "cannot stop the test database's backend (needs root, a local server)";
}

}  // namespace
}  // namespace kpo::db
