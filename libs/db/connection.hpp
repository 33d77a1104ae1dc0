#pragma once
// PostgreSQL on libpq: a connection with parameterised, per-connection prepared statements,
// results, and transactions. A Connection is used by one thread at a time.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

struct pg_conn;
struct pg_result;

namespace kpo::db {

// A failed database operation, with the SQLSTATE when the server reported one.
class DbError : public std::runtime_error {
 public:
  DbError(const std::string& message, std::string sqlstate = {})
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& SqlState() const { return sqlstate_; }
  // The database, not the statement, failed: connection lost (08*), too many connections or pool
  // exhausted (53300), server shutting down (57P0*). Says nothing about the work; retry later.
  bool IsUnavailable() const {
    return sqlstate_.starts_with("08") || sqlstate_ == "53300" || sqlstate_.starts_with("57P0");
  }
  // The database or its resources failed, not the statement or its data, so the same work may
  // succeed later: unavailable (above), insufficient resources (53: disk full, out of memory),
  // operator intervention (57: a statement timeout on a stalled disk, a cancel), a lock timeout
  // (55P03), a read-only transaction (25006: a standby, a failover under way), a system error (58:
  // an I/O error).
  bool IsTransient() const {
    return IsUnavailable() || sqlstate_.starts_with("53") || sqlstate_.starts_with("57") ||
           sqlstate_ == "55P03" || sqlstate_ == "25006" || sqlstate_.starts_with("58");
  }
  // The connection failed while a COMMIT was on its way (08007): the transaction may have
  // committed or not, and only looking at the data can tell. A kind of unavailable.
  bool IsOutcomeUnknown() const { return sqlstate_ == "08007"; }
  // Serialization failure or deadlock: the whole transaction may be retried.
  bool IsRetryable() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }
  // The statement's data was refused (class 22: a value out of range, text that is not a number):
  // the same data fails the same way every time.
  bool IsDataException() const { return sqlstate_.starts_with("22"); }
  // The data broke a constraint (class 23: unique, check, foreign key, not null): likewise.
  bool IsIntegrityViolation() const { return sqlstate_.starts_with("23"); }

 private:
  std::string sqlstate_;
};

// A statement parameter in text form; nullopt is SQL NULL.
using Param = std::optional<std::string>;
using Params = std::vector<Param>;

// Owns a PGresult. Rows and columns are zero-based; column lookups by name throw DbError when
// the column is missing.
class Result {
 public:
  explicit Result(pg_result* result);
  ~Result();
  Result(Result&& other) noexcept;
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  pg_result* Raw() const { return result_; }
  // Gives the result up to the caller, who clears it.
  pg_result* Release() { return std::exchange(result_, nullptr); }
  int Rows() const;
  bool Empty() const { return Rows() == 0; }
  int Column(std::string_view name) const;
  bool IsNull(int row, std::string_view column) const;
  std::string Text(int row, std::string_view column) const;
  std::optional<std::string> OptionalText(int row, std::string_view column) const;
  std::int64_t Int(int row, std::string_view column) const;
  bool Bool(int row, std::string_view column) const;
  // A timestamptz column as RFC 3339 UTC text (the connection runs with timezone=UTC).
  std::string Rfc3339(int row, std::string_view column) const;

 private:
  pg_result* result_;
};

struct ConnectionOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // Also bounds, with reply_grace on top, how long any call waits for the server's answer (per
  // statement sent together): a server that stops answering while its TCP still acknowledges (a
  // stopped process, an fsync that never returns, which no statement_timeout interrupts) is given
  // up on then, so no call waits forever. A statement that raises its own statement_timeout (SET
  // LOCAL) above this one is not covered; 0 (no timeout) leaves the calls without a deadline.
  std::chrono::milliseconds statement_timeout{10000};
  // What the server may take beyond statement_timeout before a call gives up waiting for it: the
  // statement's own timeout is the server's to report, with room for a slow COMMIT's flush.
  std::chrono::milliseconds reply_grace{5000};
  std::chrono::milliseconds lock_timeout{5000};
  // How long data sent may stay unacknowledged by the server's TCP (and keepalive probes unanswered)
  // before the connection counts as dead. A busy server acks at once, so this bounds how long a
  // call hangs on a lost network (then 503), not how long a statement may run (statement_timeout).
  std::chrono::milliseconds tcp_user_timeout{5000};
  std::string application_name = "kpo";
};

class Connection {
 public:
  // Connects (bounded by connect_timeout; TCP user timeout guards later I/O). Throws DbError.
  Connection(const std::string& url, const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one parameterised statement, preparing it on first use on this connection.
  // Throws DbError on any failure.
  Result Exec(std::string_view sql, const Params& params = {});

  // One statement of a pipeline. `sql` and `params` must outlive the ExecPipelined call.
  struct Statement {
    std::string_view sql;
    const Params* params = nullptr;  // null: no parameters
  };
  // Sends every statement in one round trip (libpq pipeline mode) and returns the last one's
  // result. Statements run in order; after a failure the rest are skipped, and DbError is thrown
  // for the first failure.
  Result ExecPipelined(const std::vector<Statement>& statements);
  // Runs a script of several statements without parameters (migrations, BEGIN/COMMIT).
  void ExecScript(std::string_view sql);

  // False once the connection is known to be broken; the pool then discards it.
  bool Healthy() const;
  // For an idle connection: whether the server has sent nothing since the last answer, checked
  // without waiting. A server that ended the session (a restart, an administrator, an idle
  // timeout) sent its FATAL message and closed; a connection that was idle meanwhile only finds
  // out at its next statement, which then fails. False when not Healthy() either.
  bool QuietSinceLastAnswer() const;
  pg_conn* Raw() { return conn_; }
  // The process id of this session's backend on the server (kept after the connection broke).
  int BackendPid() const;

 private:
  // When a call gives up waiting for the server: after `statements` statements' statement_timeout
  // and reply_grace (the server sends a pipeline's or a script's answers together, once the last
  // statement is done); none when statement_timeout is 0 (no timeout).
  using Deadline = std::optional<std::chrono::steady_clock::time_point>;
  Deadline ReplyDeadline(std::size_t statements) const;
  // Waits until libpq holds the server's next whole answer, or until `deadline`: then the
  // connection is given up (its socket shut down, so libpq sees it lost and the call fails with
  // 08006; a COMMIT then 08007, outcome unknown), and Healthy() is false from then on.
  void AwaitReply(Deadline deadline);
  // Shuts the socket down (logging why): libpq then sees the connection lost, every call on it
  // fails at once and the pool drops it.
  void GiveUp(std::string_view why);
  // Reads every result of the command sent; returns the first failure, else the last result.
  Result ReadResults(std::string_view what, Deadline deadline);
  // Throws 08006 unless the connection can take a command now (a broken one, or one a failed
  // pipeline left in pipeline mode, whose commands libpq would queue and never send).
  void EnsureReady(std::string_view what) const;
  // The statement's prepared name on this connection; `fresh` when it still has to be prepared.
  const std::string& PreparedName(std::string_view sql, bool& fresh);
  // Sends `statements` (preparing those not prepared yet) and the sync; returns whether all went
  // out. `commands` gets one entry per command sent, in order: the SQL of a prepare, or nullopt
  // for an execution.
  bool SendPipeline(const std::vector<Statement>& statements,
                    std::vector<std::optional<std::string>>& commands);
  // What a pipeline's answers said: how many of its commands were answered, the last result, and the
  // first failure (a server's error, or a deadline's 08006).
  struct PipelineReplies {
    std::size_t answered = 0;
    std::optional<Result> last;
    std::optional<DbError> failure;
  };
  // Reads the answer to each of `commands` and then the sync's, stopping early only when the
  // connection ends them (a broken session answers no more).
  PipelineReplies ReadPipelineReplies(const std::vector<std::optional<std::string>>& commands,
                                      Deadline deadline);

  pg_conn* conn_ = nullptr;
  std::chrono::milliseconds statement_timeout_;
  std::chrono::milliseconds reply_grace_;
  std::unordered_map<std::string, std::string> prepared_;  // sql → statement name
  std::uint64_t next_statement_ = 0;                       // names are never reused
};

// A transaction on a connection, ROLLBACK on destruction unless committed. Round trips are what a
// transaction costs most (each one a sleep and a wake-up on both sides), so BEGIN travels with the
// first statement, and statements whose results nobody reads can be queued to travel with the next
// Exec or the COMMIT: a transaction of N writes can cost one round trip.
class Transaction {
 public:
  explicit Transaction(Connection& connection) : connection_(connection) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Runs the queued statements and then this one, in one round trip; returns this one's result.
  Result Exec(std::string_view sql, const Params& params = {});
  // Queues a statement (a copy of `sql` is not taken: it must be a constant that outlives the
  // transaction, like the statements of sql.hpp). It runs with the next Exec or Commit, in order;
  // a failure throws DbError there.
  void Queue(std::string_view sql, Params params = {});
  // Runs the queued statements and COMMIT in one round trip. Throws DbError when anything fails;
  // the transaction's effects are then not durable, except when the connection failed while the
  // COMMIT was on its way (08007, DbError::IsOutcomeUnknown): then it may have committed, and only
  // reading the data tells (db::SettleLostCommit).
  void Commit();
  // Runs `action` after this transaction has committed, on the committing thread, in the order the
  // actions were added; never when it rolls back or its commit fails. For what only a durable
  // change may start (e.g. publishing the outbox rows it wrote). An exception from `action` is
  // logged, not thrown: the transaction has committed by then.
  void AfterCommit(std::function<void()> action);
  // The connection, inside the transaction (queued statements have run).
  Connection& Conn();
  // The server process of the transaction's session (what SettleLostCommit waits to see gone).
  int BackendPid() const { return connection_.BackendPid(); }

 private:
  Result Flush(std::optional<Connection::Statement> last);
  void RunAfterCommit();

  Connection& connection_;
  std::vector<std::pair<std::string_view, Params>> queued_;
  std::vector<std::function<void()>> after_commit_;
  bool begun_ = false;
  bool done_ = false;
};

}  // namespace kpo::db
