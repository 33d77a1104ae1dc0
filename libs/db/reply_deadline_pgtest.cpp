// Against a real PostgreSQL (KPO_TEST_DATABASE_URL, default the tests' orders_test); stops one of
// its backends for a moment, so it needs the right to signal the server's processes (root in CI).
#include <gtest/gtest.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <string>

#include "db/connection.hpp"
#include "db/test_database.hpp"

namespace kpo::db {
namespace {

// Whether `pid` is a PostgreSQL process of this machine (with a remote server, the backend's pid
// names some other local process or none).
bool IsLocalPostgres(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name == "postgres";
}

// Resumes a stopped process when it goes, and after `after` in any case, from a child process of
// its own: a test killed meanwhile (a ctest timeout) must not leave the server's backend stopped
// with its transaction open. The child only sleeps, signals and exits (safe after fork).
class ResumeGuard {
 public:
  ResumeGuard(pid_t pid, std::chrono::seconds after) : pid_(pid), watchdog_(::fork()) {
    if (watchdog_ == 0) {
      ::sleep(static_cast<unsigned>(after.count()));
      ::kill(pid, SIGCONT);
      ::_exit(0);
    }
  }
  ~ResumeGuard() {
    ::kill(pid_, SIGCONT);
    if (watchdog_ > 0) {
      ::kill(watchdog_, SIGKILL);
      ::waitpid(watchdog_, nullptr, 0);
    }
  }
  ResumeGuard(const ResumeGuard&) = delete;
  ResumeGuard& operator=(const ResumeGuard&) = delete;

 private:
  pid_t pid_;
  pid_t watchdog_;
};

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

}  // namespace
}  // namespace kpo::db
