#include "db/connection.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "core/config.hpp"

namespace kpo::db {
namespace {

std::string ErrorOf(PGconn* conn) {
  std::string message = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

Result Check(PGconn* conn, PGresult* result, std::string_view what) {
  Result owned(result);
  const auto status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return owned;
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = result != nullptr ? PQresultErrorMessage(result) : ErrorOf(conn);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  // A lost connection produces no SQLSTATE from the server; name it so callers can tell an
  // outage from a bad statement.
  std::string sqlstate = state != nullptr ? state : (PQstatus(conn) == CONNECTION_BAD ? "08006" : "");
  throw DbError(std::string(what) + ": " + message, std::move(sqlstate));
}

// The server's notices ("relation ... already exists, skipping") go to the log as JSON lines, not
// to stderr as libpq's plain text: a WARNING as a warning, the rest (NOTICE, INFO) at debug.
// Called from libpq's C code: nothing here may throw (no allocation of ours; spdlog handles its own
// errors). Notices during the connect itself come before the receiver is set and still go to stderr.
void LogServerNotice(void* /*unused*/, const PGresult* notice) {
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  std::string_view message = PQresultErrorMessage(notice);
  while (!message.empty() && message.back() == '\n') message.remove_suffix(1);
  if (severity != nullptr && std::strcmp(severity, "WARNING") == 0) {
    spdlog::warn("database: {}", message);
  } else {
    spdlog::debug("database: {}", message);
  }
}

}  // namespace

Connection::Connection(const std::string& url, const ConnectionOptions& options)
    : statement_timeout_(options.statement_timeout), reply_grace_(options.reply_grace) {
  const auto connect_timeout = std::to_string(std::max<long long>(2, options.connect_timeout.count() / 1000));
  const auto pg_options = "-c statement_timeout=" + std::to_string(options.statement_timeout.count()) +
                          " -c lock_timeout=" + std::to_string(options.lock_timeout.count()) +
                          " -c idle_in_transaction_session_timeout=60000 -c timezone=UTC";
  // TCP user timeout bounds every later read/write on a dead peer. It used to be statement_timeout
  // + 5 s, so a request on a partitioned database hung 15 s before its 503 (tests/netfault); the
  // kernel applies it to unacknowledged data only, so it need not cover a long statement.
  const auto tcp_timeout = std::to_string(options.tcp_user_timeout.count());
  const char* keys[] = {"dbname",           "connect_timeout", "options",         "application_name",
                        "tcp_user_timeout", "keepalives",      "keepalives_idle", nullptr};
  const char* values[] = {url.c_str(),
                          connect_timeout.c_str(),
                          pg_options.c_str(),
                          options.application_name.c_str(),
                          tcp_timeout.c_str(),
                          "1",
                          "10",
                          nullptr};
  // expand_dbname=1: the "dbname" value is a full connection URL; later keys add to it.
  conn_ = PQconnectdbParams(keys, values, 1);
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    auto message = ErrorOf(conn_);
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
    throw DbError("cannot connect to " + core::MaskPasswords(url) + ": " + message, "08001");
  }
  PQsetNoticeReceiver(conn_, LogServerNotice, nullptr);
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

const std::string& Connection::PreparedName(std::string_view sql, bool& fresh) {
  std::string key(sql);
  auto it = prepared_.find(key);
  fresh = it == prepared_.end();
  if (fresh) {
    std::string name = "s" + std::to_string(next_statement_++);
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  return it->second;
}

Connection::Deadline Connection::ReplyDeadline(std::size_t statements) const {
  if (statement_timeout_.count() <= 0) return std::nullopt;
  return std::chrono::steady_clock::now() +
         statement_timeout_ * static_cast<std::int64_t>(std::max<std::size_t>(1, statements)) + reply_grace_;
}

void Connection::GiveUp(std::string_view why) {
  spdlog::warn("giving a database connection up: {}", why);
  ::shutdown(PQsocket(conn_), SHUT_RDWR);
}

void Connection::AwaitReply(Deadline deadline) {
  while (PQisBusy(conn_) == 1) {
    // Bytes TLS has already taken off the socket are invisible to poll(): read them first.
    if (PQsslInUse(conn_) == 1 && (PQconsumeInput(conn_) == 0 || PQisBusy(conn_) == 0)) return;
    int wait_ms = -1;
    if (deadline) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        GiveUp("the server sent no answer in time");
        return;
      }
      wait_ms = static_cast<int>(std::min<std::int64_t>(left.count(), INT_MAX));
    }
    pollfd socket{.fd = PQsocket(conn_), .events = POLLIN, .revents = 0};
    const int ready = ::poll(&socket, 1, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      GiveUp(std::string("poll failed: ") + std::strerror(errno));
      return;
    }
    // A connection that broke makes PQgetResult return its error at once.
    if (ready > 0 && PQconsumeInput(conn_) == 0) return;
  }
}

Result Connection::ReadResults(std::string_view what, Deadline deadline) {
  std::optional<Result> kept;
  bool failed = false;
  while (true) {
    AwaitReply(deadline);
    PGresult* raw = PQgetResult(conn_);
    if (raw == nullptr) break;
    const auto status = PQresultStatus(raw);
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
      // No statement here copies; a connection left in a COPY would answer nothing else.
      PQclear(raw);
      GiveUp("a COPY began");
      throw DbError(std::string(what) + ": COPY is not supported on this connection", "0A000");
    }
    const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    // The first failure is the cause (the server stops a script there); later results are dropped.
    if (failed) {
      PQclear(raw);
    } else {
      kept.emplace(raw);
      failed = !ok;
    }
  }
  // No result at all: the connection broke before any answer.
  return Check(conn_, kept ? kept->Release() : nullptr, what);
}

void Connection::EnsureReady(std::string_view what) const {
  if (PQstatus(conn_) != CONNECTION_OK || PQpipelineStatus(conn_) != PQ_PIPELINE_OFF) {
    throw DbError(std::string(what) + ": the connection is broken", "08006");
  }
}

Result Connection::Exec(std::string_view sql, const Params& params) {
  EnsureReady("query");
  bool fresh = false;
  const std::string& name = PreparedName(sql, fresh);
  if (fresh) {
    try {
      if (PQsendPrepare(conn_, name.c_str(), std::string(sql).c_str(), 0, nullptr) != 1) {
        throw DbError("prepare: " + ErrorOf(conn_), "08006");
      }
      ReadResults("prepare", ReplyDeadline(1));
    } catch (const DbError&) {
      prepared_.erase(std::string(sql));
      throw;
    }
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  if (PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                          nullptr, 0) != 1) {
    throw DbError("query: " + ErrorOf(conn_), "08006");
  }
  return ReadResults("query", ReplyDeadline(1));
}

bool Connection::SendPipeline(const std::vector<Statement>& statements,
                              std::vector<std::optional<std::string>>& commands) {
  bool sent = true;
  for (const auto& statement : statements) {
    bool fresh = false;
    const std::string& name = PreparedName(statement.sql, fresh);
    if (fresh) {
      commands.emplace_back(std::string(statement.sql));
      sent = sent && PQsendPrepare(conn_, name.c_str(), commands.back()->c_str(), 0, nullptr) == 1;
    }
    std::vector<const char*> values;
    if (statement.params != nullptr) {
      for (const auto& param : *statement.params) values.push_back(param ? param->c_str() : nullptr);
    }
    sent = sent && PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
                                       nullptr, nullptr, 0) == 1;
    commands.emplace_back(std::nullopt);
  }
  return sent && PQpipelineSync(conn_) == 1;
}

Connection::PipelineReplies Connection::ReadPipelineReplies(
    const std::vector<std::optional<std::string>>& commands, Deadline deadline) {
  PipelineReplies replies;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    AwaitReply(deadline);
    PGresult* raw = PQgetResult(conn_);
    if (raw == nullptr) break;
    ++replies.answered;
    const auto status = PQresultStatus(raw);
    const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    // A prepare that did not happen on the server must be prepared again next time.
    if (commands[i] && !ok) prepared_.erase(*commands[i]);
    if (status == PGRES_PIPELINE_ABORTED) {
      PQclear(raw);
    } else {
      try {
        replies.last = Check(conn_, raw, "query");
      } catch (const DbError& error) {
        if (!replies.failure) replies.failure = error;
      }
    }
    // The NULL that ends each command (after any further result).
    while (true) {
      AwaitReply(deadline);
      PGresult* extra = PQgetResult(conn_);
      if (extra == nullptr) break;
      PQclear(extra);
    }
  }
  // The sync's own result.
  while (true) {
    AwaitReply(deadline);
    PGresult* raw = PQgetResult(conn_);
    if (raw == nullptr) break;
    const bool synced = PQresultStatus(raw) == PGRES_PIPELINE_SYNC;
    PQclear(raw);
    if (synced) break;
  }
  return replies;
}

Result Connection::ExecPipelined(const std::vector<Statement>& statements) {
  EnsureReady("pipeline");
  if (PQenterPipelineMode(conn_) != 1) throw DbError("enter pipeline mode: " + ErrorOf(conn_), "08006");
  // The SQL of each prepare sent (kept only if it succeeds), or nullopt for an execution.
  std::vector<std::optional<std::string>> commands;
  const bool sent = SendPipeline(statements, commands);
  // Every result is read, whatever happened, so that the connection leaves pipeline mode clean
  // (none when the pipeline did not go out whole).
  auto replies = sent ? ReadPipelineReplies(commands, ReplyDeadline(statements.size())) : PipelineReplies{};
  const bool left = PQexitPipelineMode(conn_) == 1;
  // Every command answered without error and the last was a COMMIT: the transaction is durable
  // (the server answers COMMIT after its WAL flush), even if the session ended before the sync's
  // answer, as a fast shutdown can do. Saying otherwise would have a committed order answered 503.
  // The connection stays in pipeline mode, so Healthy() is false and the pool drops it.
  const bool committed = replies.answered == commands.size() && !replies.failure && replies.last &&
                         std::string_view(PQcmdStatus(replies.last->Raw())) == "COMMIT";
  // Otherwise a pipeline that could not be sent or left whole means the connection broke under it
  // (the server went away mid-way: "cannot exit pipeline mode while busy" with results never
  // coming): a connection failure (08006, retry later: 503), whatever libpq's status says yet. The
  // server's own error, when one came first, stays the cause.
  if ((!sent || !left) && !replies.failure && !committed) {
    replies.failure = DbError("pipeline: " + ErrorOf(conn_), "08006");
  }
  if (replies.failure) throw *replies.failure;
  return std::move(*replies.last);
}

void Connection::ExecScript(std::string_view sql) {
  EnsureReady("script");
  if (PQsendQuery(conn_, std::string(sql).c_str()) != 1) throw DbError("script: " + ErrorOf(conn_), "08006");
  // Every statement but the last ends with a semicolon: counting them never undercounts the
  // statements (one inside a string or a function body only lengthens the deadline).
  ReadResults("script", ReplyDeadline(1 + static_cast<std::size_t>(std::count(sql.begin(), sql.end(), ';'))));
}

bool Connection::Healthy() const {
  return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE &&
         PQpipelineStatus(conn_) == PQ_PIPELINE_OFF;
}

int Connection::BackendPid() const { return conn_ == nullptr ? 0 : PQbackendPID(conn_); }

bool Connection::QuietSinceLastAnswer() const {
  if (!Healthy()) return false;
  pollfd socket{.fd = PQsocket(conn_), .events = POLLIN, .revents = 0};
  return ::poll(&socket, 1, 0) == 0;
}

namespace {
constexpr std::string_view kBegin = "BEGIN";
constexpr std::string_view kCommit = "COMMIT";
}  // namespace

Transaction::~Transaction() {
  if (done_ || !begun_) return;
  // Destructors must not throw; a failed rollback leaves the connection unhealthy and the pool
  // drops it, which rolls the transaction back on the server.
  try {
    connection_.ExecScript("ROLLBACK");
  } catch (const std::exception& error) {
    spdlog::debug("rollback failed, the connection goes: {}", error.what());
  }
}

void Transaction::Queue(std::string_view sql, Params params) { queued_.emplace_back(sql, std::move(params)); }

Result Transaction::Flush(std::optional<Connection::Statement> last) {
  std::vector<Connection::Statement> statements;
  statements.reserve(queued_.size() + 2);
  // BEGIN counts as begun even if the round trip fails: the destructor's ROLLBACK is harmless then.
  if (!begun_) statements.push_back({kBegin, nullptr});
  begun_ = true;
  for (const auto& [sql, params] : queued_) statements.push_back({sql, &params});
  if (last) statements.push_back(*last);
  if (statements.empty()) return Result(nullptr);
  auto result = connection_.ExecPipelined(statements);
  queued_.clear();
  return result;
}

Result Transaction::Exec(std::string_view sql, const Params& params) {
  return Flush(Connection::Statement{sql, &params});
}

Connection& Transaction::Conn() {
  if (!begun_ || !queued_.empty()) Flush(std::nullopt);
  return connection_;
}

void Transaction::Commit() {
  if (!begun_ && queued_.empty()) {
    done_ = true;  // nothing ran: nothing to commit
    RunAfterCommit();
    return;
  }
  std::optional<Result> result;
  try {
    result = Flush(Connection::Statement{kCommit, nullptr});
  } catch (const DbError& error) {
    // The COMMIT may have reached the server before the connection failed (ExecPipelined already
    // reports a COMMIT that was answered as committed): its outcome is unknown, which a caller
    // must not report as "not done, try again".
    if (error.IsUnavailable()) throw DbError(std::string(error.what()) + " (during COMMIT)", "08007");
    throw;
  }
  done_ = true;
  // COMMIT of an aborted transaction "succeeds" with the tag ROLLBACK: nothing was committed.
  if (std::string_view(PQcmdStatus(result->Raw())) == "ROLLBACK") {
    throw DbError("commit: the transaction had failed and was rolled back", "25P02");
  }
  RunAfterCommit();
}

void Transaction::RunAfterCommit() {
  auto actions = std::move(after_commit_);
  after_commit_.clear();
  for (auto& action : actions) {
    // The edge of a follow-up: the transaction has committed, and a failing follow-up must not make
    // its caller report it as failed (or try it again).
    try {
      action();
    } catch (const std::exception& error) {
      spdlog::error("an action after a commit failed: {}", error.what());
    }
  }
}

void Transaction::AfterCommit(std::function<void()> action) { after_commit_.push_back(std::move(action)); }

}  // namespace kpo::db
