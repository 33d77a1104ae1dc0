// Against a real PostgreSQL (KPO_TEST_DATABASE_URL, default the tests' orders_test); stops one of
// its backends for a moment, so it needs the right to signal the server's processes (root in CI).
#include <gtest/gtest.h>
#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <csignal>

#include "db/connection.hpp"
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
    if (::kill(backend, SIGSTOP) != 0)
      GTEST_SKIP() << "cannot stop the backend (needs root): errno " << errno;
    struct Resume {
      pid_t pid;
      ~Resume() { ::kill(pid, SIGCONT); }
    } resume{backend};
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

}  // namespace
}  // namespace kpo::db
