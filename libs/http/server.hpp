#pragma once
// HTTP/1.1 server on Boost.Beast with C++20 coroutines. Beast/Asio stay in server.cpp.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/queue_codel.hpp"
#include "http/router.hpp"

namespace kpo::http {

struct ServerOptions {
  std::string service = "service";  // metrics/log label
  std::string host = "0.0.0.0";
  std::uint16_t port = 0;  // 0: any free port (see Server::Port)
  int threads = 2;         // I/O threads, each running its own event loop; a connection stays on one
  // The I/O threads' nice value (core::SetThisThreadNice; 0: left as it is). Below 0 they take a
  // core ahead of the machine's throughput work, so an answer (a refusal above all) does not wait
  // behind a database's or a broker's turn. Refused without CAP_SYS_NICE: logged, and they run on.
  int io_nice = 0;
  int workers = 16;  // blocking handlers (database calls) run here: size with the DB pool
  // Overload: a request for a worker (Lane::kRequests) is refused at once with 503 + Retry-After
  // when `max_queued` requests already wait for one (0: no bound). When a worker gets to a request,
  // `queue` (core::QueueCodel) decides whether it waited too long to run: a burst that drains is
  // absorbed, a standing queue is cut back to its target, and nothing runs that waited more than
  // queue.max_wait. So the time an answer takes stays bounded however much more arrives than the
  // workers finish.
  std::size_t max_queued = 512;
  core::CodelPolicy queue;
  // When set, the requests waiting for a worker take turns by the key it gives each (e.g. the
  // client's address; core::FairPool) instead of first come, first served: a client's burst then
  // waits behind itself, and the queue's bounds above cut it back, not everyone else's requests.
  std::function<std::string(const Request&)> fair_key = nullptr;
  // When set, the client's address, computed once as a request is read into
  // Request::client_address (Request::Client()): behind a proxy, the address the proxy reported (the
  // gateway trusts X-Real-IP from its trusted proxies only). The access log names it ("client",
  // beside the peer's "remote"); handlers key per-client limits on it.
  std::function<std::string(const Request&)> client_address = nullptr;
  std::size_t body_limit = 64UL * 1024;
  std::size_t header_limit = 8UL * 1024;
  std::size_t max_header_count = 100;
  std::chrono::milliseconds read_timeout{10'000};  // whole request, headers included (slowloris)
  std::chrono::milliseconds idle_timeout{30'000};  // keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds drain_timeout{10'000};  // graceful shutdown: in-flight requests finish
  // Connections served at once. 0: no cap. Size it to the open file limit (see
  // core::RaiseOpenFileLimit) over the descriptors a connection may need, leaving a reserve.
  std::size_t max_connections = 0;
  // Connections over max_connections answered at once, 503 + Retry-After (problem+json, nothing of
  // theirs read), and closed after a second to read it: each holds one descriptor of the reserve
  // meanwhile. Beyond these, new clients wait in the listen backlog until a connection closes.
  int refusals_at_cap = 32;
  // Connections one peer address may hold at once (0: no bound). One more is answered 429 with
  // Retry-After (problem+json) and closed, so that one client cannot take all of `max_connections`
  // (with idle connections or streams) and leave the others waiting in the listen backlog. Peers
  // `unbounded_peer` names are not counted: a trusted proxy carries many clients and bounds them
  // itself (the UI's nginx: limit_conn).
  std::size_t max_connections_per_peer = 0;
  std::function<bool(std::string_view peer)> unbounded_peer = nullptr;
};

// The services' I/O threads' nice value unless configured (<PREFIX>_IO_NICE, GATEWAY_IO_NICE): their
// answers waited for a core behind PostgreSQL and RabbitMQ on a machine that runs them all. In three
// alternating pairs of 30 s overloads at 2.5 times the sustained rate on two cores, the answers' p99
// was 314-539 ms at 0 and 102-221 ms at -10, and no fewer orders completed (docs/benchmarks.md).
inline constexpr int kDefaultIoNice = -10;

// The head limits for a server behind a proxy that holds clients to smaller ones and adds fields of
// its own on the way (the gateway: the user's id, trace context, request id): with the default
// limits, a head the proxy had accepted was refused behind it (431 for a client's 98 fields). The
// proxy's own byte limit must leave room for what it adds (GATEWAY_HEADER_LIMIT stops 4 KiB short).
inline constexpr std::size_t kBehindProxyHeaderLimit = 64UL * 1024;
inline constexpr std::size_t kBehindProxyHeaderCount = 128;

// Serves a Router. Blocking handlers run on a worker pool so that slow database calls never
// stall the I/O threads (operational ones on a worker of their own, see Lane); async handlers and
// streamed responses run on the I/O threads. Per
// request it: enforces the body (413) and header (431) limits and the read
// deadline; answers 415 for a body that is not JSON; echoes or creates X-Request-Id; continues or
// starts the W3C trace; renders ProblemError as problem+json and any other exception as a 500
// (logged); records metrics and writes a JSON access log line.
class Server {
 public:
  Server(ServerOptions options, const Router& router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. Throws std::system_error when the address is unavailable.
  void Listen();
  std::uint16_t Port() const;
  // Requests (Lane::kRequests) waiting for a worker now.
  std::size_t Queued() const;

  // Serves until Stop() or, with `handle_signals`, SIGTERM/SIGINT. Then it stops accepting, lets
  // in-flight requests finish (up to drain_timeout) and returns. With `handle_signals`, SIGUSR1 and
  // SIGUSR2 change the log level meanwhile (core::LogMoreVerbosely, core::RestoreStartupLogLevel).
  void Run(bool handle_signals = true);

  // Thread safe; Run returns soon after.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kpo::http
