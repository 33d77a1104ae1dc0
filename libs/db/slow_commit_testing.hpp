#pragma once
// For tests of a COMMIT whose answer is lost: a deferred trigger holds the COMMIT of a transaction
// that inserted into a table until its client has given up on it, and then lets it commit or fail.
// Unlike stopping a backend (stopped_backend_testing.hpp), it needs neither root nor the server on
// this machine, and the outcome is the test's choice.
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <string_view>

#include "db/connection.hpp"

namespace kpo::db {

// The application_name of the sessions whose COMMITs are held: then committed, or then failed
// (rolled back). Sessions named otherwise are not affected.
inline constexpr std::string_view kSlowCommitThenCommit = "kpo-slow-commit";
inline constexpr std::string_view kSlowCommitThenFail = "kpo-slow-commit-failing";

namespace slow_commit_sql {

// Runs at the COMMIT (a deferred constraint trigger), where no statement_timeout applies (the server
// ends it before committing): the client gives up statement_timeout + reply_grace after it sent the
// COMMIT, and this sleep outlasts that by a second.
inline constexpr std::string_view kFunction = R"sql(
CREATE OR REPLACE FUNCTION kpo_slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('application_name') IN ('kpo-slow-commit', 'kpo-slow-commit-failing') THEN
    PERFORM pg_sleep(1.5);
    IF current_setting('application_name') = 'kpo-slow-commit-failing' THEN
      RAISE EXCEPTION 'a held COMMIT fails (a test)';
    END IF;
  END IF;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION kpo_slow_commit_on(target regclass, active boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DROP TRIGGER IF EXISTS kpo_slow_commit ON %s', target);
  IF active THEN
    EXECUTE format('CREATE CONSTRAINT TRIGGER kpo_slow_commit AFTER INSERT ON %s '
                   'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION kpo_slow_commit()', target);
  END IF;
END $$)sql";

inline constexpr std::string_view kSwitch = "SELECT kpo_slow_commit_on($1::regclass, $2::boolean)";

}  // namespace slow_commit_sql

// While it lives, the COMMITs of transactions that inserted into `table` (of the database at `url`)
// are held in sessions named kSlowCommitThenCommit or kSlowCommitThenFail.
class SlowCommits {
 public:
  SlowCommits(std::string url, std::string table) : url_(std::move(url)), table_(std::move(table)) {
    Connection connection(url_, {});
    connection.ExecScript(slow_commit_sql::kFunction);
    connection.Exec(slow_commit_sql::kSwitch, {table_, "true"});
  }
  // A trigger left behind slows only sessions named as above, that is only these tests.
  ~SlowCommits() {
    try {
      Connection connection(url_, {});
      connection.Exec(slow_commit_sql::kSwitch, {table_, "false"});
    } catch (const DbError& error) {
      spdlog::warn("cannot remove the slow-commit trigger of {}: {}", table_, error.what());
    }
  }
  SlowCommits(const SlowCommits&) = delete;
  SlowCommits& operator=(const SlowCommits&) = delete;

  // Options for a pool whose COMMITs are held: its calls give up after 500 ms (statement_timeout
  // 200 ms + reply_grace 300 ms), long before the held COMMIT ends (after 1.5 s).
  static ConnectionOptions Options(std::string_view application_name) {
    ConnectionOptions options;
    options.statement_timeout = std::chrono::milliseconds(200);
    options.reply_grace = std::chrono::milliseconds(300);
    options.application_name = std::string(application_name);
    return options;
  }

 private:
  std::string url_;
  std::string table_;
};

}  // namespace kpo::db
