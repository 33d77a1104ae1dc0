#include "load/http_load.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <cmath>
#include <deque>
#include <exception>
#include <utility>

#include "load/precise_timer.hpp"

namespace kpo::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kOrderBody = R"({"amount":1,"description":"bench"})";
constexpr std::size_t kMaxSamples = 5;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Every coroutine's failure surfaces from io_context::run() instead of vanishing (asio::detached would
// drop it).
constexpr auto kRethrow = [](const std::exception_ptr& error) {
  if (error) std::rethrow_exception(error);
};

struct Connection {
  explicit Connection(asio::io_context& io) : stream(io) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
};

struct Outcome {
  int status = 0;
  beast::error_code error;
  bool keep_alive = false;
  std::string body;  // kept for unexpected statuses only
};

Outcome ConnectFailed() {
  Outcome outcome;
  outcome.error = asio::error::connection_refused;
  return outcome;
}

struct Job {
  std::int64_t index = 0;
  Clock::time_point scheduled;
};

// An idle keep-alive connection the server has closed (its idle timeout) would fail the next
// request; a non-blocking peek finds that out without sending anything.
bool PeerClosed(Connection& connection) {
  char byte = 0;
  const auto n = ::recv(connection.stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

void Record(HttpTotals& totals, const Outcome& outcome, double latency_ms) {
  totals.latency_all.push_back(latency_ms);
  std::string sample;
  if (outcome.error) {
    ++totals.errors;
    sample = "transport error: " + outcome.error.message();
  } else if (outcome.status == 202) {
    ++totals.accepted;
    totals.latency_202.push_back(latency_ms);
  } else if (outcome.status == 503) {
    ++totals.rejected;
    totals.latency_503.push_back(latency_ms);
  } else {
    ++(outcome.status == 429 ? totals.limited : totals.other);
    sample = "HTTP " + std::to_string(outcome.status) + ": " + outcome.body;
  }
  if (!sample.empty() && totals.samples.size() < kMaxSamples) totals.samples.push_back(std::move(sample));
}

}  // namespace

struct LoadClient::State {
  explicit State(asio::io_context& context) : io(context) {}
  asio::io_context& io;
  std::vector<std::unique_ptr<Connection>> idle;
  std::size_t open = 0;  // connection slots: idle, busy or connecting
  std::deque<Job> backlog;
  HttpTotals totals;
  const std::vector<std::string>* tokens = nullptr;
  std::int64_t next_token = 0;

  const std::string& Token(std::int64_t index) const {
    return (*tokens)[static_cast<std::size_t>(index) % tokens->size()];
  }

  std::unique_ptr<Connection> TakeIdle() {
    while (!idle.empty()) {
      auto connection = std::move(idle.back());
      idle.pop_back();
      if (!PeerClosed(*connection)) return connection;
      --open;
    }
    return nullptr;
  }

  void Release(std::unique_ptr<Connection> connection) {
    if (connection) {
      idle.push_back(std::move(connection));
    } else {
      --open;
    }
  }

  void NewSlot() { ++open; }
  // Called whenever a request gets a connection: the peak of connections busy at once.
  void NoteBusy() { totals.peak_connections = std::max(totals.peak_connections, open - idle.size()); }
};

namespace {

asio::awaitable<std::unique_ptr<Connection>> Connect(asio::io_context& io, const LoadOptions& options) {
  auto connection = std::make_unique<Connection>(io);
  connection->stream.expires_after(options.request_deadline);
  const tcp::endpoint endpoint(asio::ip::make_address(options.target.host), options.target.port);
  auto [error] = co_await connection->stream.async_connect(endpoint, kTuple);
  if (error) co_return nullptr;
  // Small requests on a keep-alive connection: Nagle would hold each one back for the previous ACK.
  connection->stream.socket().set_option(tcp::no_delay(true), error);
  if (error) co_return nullptr;
  co_return connection;
}

asio::awaitable<Outcome> Exchange(Connection& connection, const LoadOptions& options,
                                  const std::string& token) {
  bhttp::request<bhttp::string_body> request{bhttp::verb::post, "/api/orders", 11};
  request.set(bhttp::field::host, options.target.host);
  request.set(bhttp::field::authorization, "Bearer " + token);
  request.set(bhttp::field::content_type, "application/json");
  request.body() = kOrderBody;
  request.prepare_payload();
  connection.stream.expires_after(options.request_deadline);
  Outcome outcome;
  auto [write_error, written] = co_await bhttp::async_write(connection.stream, request, kTuple);
  if (write_error) {
    outcome.error = write_error;
    co_return outcome;
  }
  bhttp::response<bhttp::string_body> response;
  auto [read_error, read] =
      co_await bhttp::async_read(connection.stream, connection.buffer, response, kTuple);
  outcome.error = read_error;
  if (read_error) co_return outcome;
  outcome.status = static_cast<int>(response.result_int());
  outcome.keep_alive = response.keep_alive();
  if (outcome.status != 202 && outcome.status != 503) outcome.body = response.body().substr(0, 200);
  co_return outcome;
}

// Serves `job`, then whatever waits in the backlog, on one connection slot.
asio::awaitable<void> OpenWorker(LoadClient::State& state, const LoadOptions& options,
                                 std::unique_ptr<Connection> connection, Job job) {
  for (;;) {
    if (!connection) connection = co_await Connect(state.io, options);
    if (connection) {
      const auto sent_at = Clock::now();
      state.totals.send_lag.push_back(Ms(sent_at - job.scheduled));
      ++state.totals.sent;
      const auto outcome = co_await Exchange(*connection, options, state.Token(job.index));
      Record(state.totals, outcome, Ms(Clock::now() - job.scheduled));
      if (outcome.error || !outcome.keep_alive) connection.reset();
    } else {
      Record(state.totals, ConnectFailed(), Ms(Clock::now() - job.scheduled));
    }
    if (state.backlog.empty()) break;
    job = state.backlog.front();
    state.backlog.pop_front();
  }
  state.Release(std::move(connection));
}

void Dispatch(LoadClient::State& state, const LoadOptions& options, Job job) {
  auto connection = state.TakeIdle();
  if (!connection) {
    if (state.open >= options.max_connections) {
      ++state.totals.cap_waits;
      state.backlog.push_back(job);
      return;
    }
    state.NewSlot();
  }
  state.NoteBusy();
  asio::co_spawn(state.io, OpenWorker(state, options, std::move(connection), job), kRethrow);
}

asio::awaitable<void> Schedule(LoadClient::State& state, const LoadOptions& options, double rate,
                               std::chrono::milliseconds duration) {
  PreciseTimer timer(state.io);
  const auto count =
      static_cast<std::int64_t>(std::llround(rate * static_cast<double>(duration.count()) / 1e3));
  const auto start = Clock::now();
  for (std::int64_t i = 0; i < count; ++i) {
    const auto when = start + std::chrono::nanoseconds(std::llround(static_cast<double>(i) * 1e9 / rate));
    co_await timer.WaitUntil(when);
    ++state.totals.offered;
    Dispatch(state, options, Job{i, when});
  }
}

asio::awaitable<void> ClosedWorker(LoadClient::State& state, const LoadOptions& options,
                                   Clock::time_point end) {
  auto connection = state.TakeIdle();
  if (!connection) state.NewSlot();
  state.NoteBusy();
  asio::steady_timer pause(state.io);
  while (Clock::now() < end) {
    const auto started = Clock::now();
    if (!connection) connection = co_await Connect(state.io, options);
    if (!connection) {
      Record(state.totals, ConnectFailed(), Ms(Clock::now() - started));
      pause.expires_after(std::chrono::milliseconds(10));  // not a busy loop against a dead server
      co_await pause.async_wait(kTuple);
      continue;
    }
    ++state.totals.offered;
    ++state.totals.sent;
    const auto outcome = co_await Exchange(*connection, options, state.Token(state.next_token++));
    Record(state.totals, outcome, Ms(Clock::now() - started));
    if (outcome.error || !outcome.keep_alive) connection.reset();
  }
  state.Release(std::move(connection));
}

}  // namespace

LoadClient::LoadClient(LoadOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>(io_)) {}

LoadClient::~LoadClient() = default;

HttpTotals LoadClient::RunOpen(double rate, std::chrono::milliseconds duration,
                               const std::vector<std::string>& tokens) {
  state_->totals = {};
  state_->tokens = &tokens;
  asio::co_spawn(io_, Schedule(*state_, options_, rate, duration), kRethrow);
  io_.restart();
  io_.run();  // returns once the schedule is done and every request answered or failed
  return std::exchange(state_->totals, {});
}

HttpTotals LoadClient::RunClosed(int connections, std::chrono::milliseconds duration,
                                 const std::vector<std::string>& tokens) {
  state_->totals = {};
  state_->tokens = &tokens;
  const auto end = Clock::now() + duration;
  for (int i = 0; i < connections; ++i) asio::co_spawn(io_, ClosedWorker(*state_, options_, end), kRethrow);
  io_.restart();
  io_.run();
  return std::exchange(state_->totals, {});
}

}  // namespace kpo::bench
