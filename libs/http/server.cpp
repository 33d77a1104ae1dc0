#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "core/thread_name.hpp"
#include "core/thread_priority.hpp"
#include "http/access_log.hpp"
#include "http/answers.hpp"
#include "http/deadline.hpp"
#include "http/handler_runner.hpp"
#include "http/parsers.hpp"
#include "http/peer_connections.hpp"
#include "http/problem.hpp"
#include "http/request_reader.hpp"
#include "http/server_signals.hpp"
#include "http/stream.hpp"
#include "http/stream_writer.hpp"
#include "observability/metrics.hpp"

namespace kpo::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadBufferBytes = 4096;

// The most a connection's read buffer may hold: the largest head plus a read. A chunk's size line
// and the trailer must arrive whole before the parser takes them; unbounded, a client that never
// ended one grew the buffer until the read deadline (an audit held 40 MB in one connection).
std::size_t ReadBufferLimit(std::size_t header_limit) { return header_limit + kReadBufferBytes; }

// A client connection and its I/O deadline (a slow or silent client is cut off).
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)), deadline(socket) {}
  tcp::socket socket;
  SocketDeadline deadline;
};

}  // namespace

struct Server::Impl {
  ServerOptions options;
  const Router& router;
  // One event loop per I/O thread, as nginx runs one per worker: a connection lives on one loop,
  // so its handlers never race and need no strand. The acceptor, the accept loop and the shutdown
  // that closes it live on the first loop.
  std::vector<std::unique_ptr<asio::io_context>> loops = MakeLoops(options.threads);
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running = Guard(loops);
  HandlerRunner handlers{options, router};
  tcp::acceptor acceptor{*loops.front()};
  // The streams each loop is writing (used on that loop only), for a shutdown to end them.
  std::vector<StreamRegistry> streams = std::vector<StreamRegistry>(loops.size());
  std::size_t next_loop = 0;
  std::atomic<std::size_t> connections{0};
  std::atomic<int> in_flight{0};
  std::atomic<int> streaming{0};
  std::atomic<int> unserved{0};         // connections accepted whose first request is not yet served
  std::atomic<int> refusing_at_cap{0};  // connections over max_connections being answered 503
  std::atomic<bool> stopping{false};
  PeerConnections peers{options.max_connections_per_peer, options.unbounded_peer};

  Impl(ServerOptions o, const Router& r) : options(std::move(o)), router(r) {}

  static std::vector<std::unique_ptr<asio::io_context>> MakeLoops(int count) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    // A concurrency hint of 1: each loop is run by exactly one thread (posting from others is safe).
    for (int i = 0; i < std::max(1, count); ++i) out.push_back(std::make_unique<asio::io_context>(1));
    return out;
  }

  static std::vector<asio::executor_work_guard<asio::io_context::executor_type>> Guard(
      const std::vector<std::unique_ptr<asio::io_context>>& contexts) {
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> out;
    for (const auto& context : contexts) out.push_back(asio::make_work_guard(*context));
    return out;
  }

  // Routes a parsed request and runs its handler; `route` gets the pattern (a metrics label).
  asio::awaitable<Response> Handle(Request& request, std::string_view& route) {
    if (request.headers.size() > options.max_header_count) {
      co_return ProblemResponse(431, "Too many request header fields");
    }
    // Absolute form: served like the origin form it contains, and forwarded as that.
    if (auto origin = OriginFormOf(request.target)) request.target = std::move(*origin);
    auto target = ParseTarget(request.target);
    if (!target) co_return ProblemResponse(400, "The request target is not a valid URI path");
    request.path = std::move(target->path);
    request.query = std::move(target->query);
    request.repeated_query = std::move(target->repeated);
    auto found = router.Find(request);
    route = found.pattern;
    co_return co_await handlers.Run(request, found);
  }

  // What serving one request left the connection to do.
  struct Served {
    bool keep_alive = false;
    std::shared_ptr<EventStream> stream;  // the response streams from here on, after `stream_head`
    std::string stream_head;
    bool chunked = true;  // false for an HTTP/1.0 client
  };

  // Reads one request, runs it and writes the answer, or hands a streamed answer back to the
  // session. The request, its parser and the answer live in this coroutine's frame, which is gone
  // once it returns: a stream that then stays open for hours does not keep them.
  asio::awaitable<Served> ServeOne(Connection& connection, beast::flat_buffer& buffer,
                                   const std::string& remote, bool first) {
    Request request;
    RequestParser parser(request);
    parser.LimitHead(static_cast<std::uint32_t>(options.header_limit));
    parser.body_limit(options.body_limit);
    // A keep-alive connection may idle longer than a client may take to send one request: its next
    // request's time starts with its first bytes (empty lines before it are not yet a request). One
    // that never comes is no error.
    if (!first) DropLeadingEmptyLines(buffer);
    if (!first && buffer.size() == 0) {
      connection.deadline.ExpiresAfter(options.idle_timeout);
      while (buffer.size() == 0) {
        auto [idle_error, arrived] =
            co_await connection.socket.async_read_some(buffer.prepare(kReadBufferBytes), kTuple);
        buffer.commit(arrived);
        if (idle_error) {
          connection.deadline.Clear();
          co_return Served{};
        }
        DropLeadingEmptyLines(buffer);
      }
    }
    // A client too slow to send its request is answered (408), so the deadline leaves the socket open.
    connection.deadline.ExpiresAfter(options.read_timeout, SocketDeadline::OnExpiry::kCancel);
    auto [ec, bytes] = co_await ReadRequest(connection.socket, buffer, parser, request, options.header_limit);
    // The read deadline is for the client; the handler may take its time (its own I/O has deadlines).
    connection.deadline.Clear();
    if (ec) {
      const ReadResult unread{ec, bytes};  // named: see RefuseAtCap on temporaries in a co_await
      co_await RefuseUnreadRequest(connection.socket, connection.deadline, unread, buffer, parser, request,
                                   remote, router, options);
      co_return Served{};
    }
    in_flight.fetch_add(1);
    Served served;
    served.keep_alive = parser.keep_alive() && !stopping.load();
    const auto started = std::chrono::steady_clock::now();
    IdentifyRequest(request, remote, options.client_address);
    std::string_view route = "invalid";
    Response response = co_await Handle(request, route);
    ConcludeRequest(router, request, route, response,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (response.stream && !parser.IsHead()) {
      served.stream_head = ResponseHead(response, std::nullopt, parser.Version(), false);
      served.chunked = parser.Version() >= 11;
      served.stream = std::move(response.stream);
      served.keep_alive = false;
      streaming.fetch_add(1);  // before in_flight drops, so that a drain never sees neither
    } else {
      // A HEAD request gets the head alone: its stream is let go at once.
      if (response.stream) response.stream->Abandon();
      co_await WriteResponse(connection.socket, connection.deadline, std::move(response), parser.Version(),
                             served.keep_alive, parser.IsHead(), options.write_timeout);
    }
    in_flight.fetch_sub(1);
    co_return served;
  }

  // A connection over its peer's bound: 429 without reading the request (it may never come).
  asio::awaitable<void> RefuseOverPeerBound(Connection& connection, const std::string& peer) {
    spdlog::warn("refused a connection from {}: it holds {} already", peer, options.max_connections_per_peer);
    auto refusal = ProblemError(429, "Too many connections from this address; close some before opening more")
                       .WithRetryAfter(5)
                       .WithReason("peer_connections")
                       .ToResponse();
    co_await RefuseConnection(connection.socket, connection.deadline, router, peer, std::move(refusal),
                              options.write_timeout);
    unserved.fetch_sub(1);
    Closed({});
  }

  // A connection over the server's own cap (every descriptor spoken for) is answered at once, from
  // the descriptors kept in reserve, rather than left waiting in the listen backlog with no answer.
  asio::awaitable<void> RefuseAtCap(tcp::socket socket) {
    beast::error_code ignored;
    const auto endpoint = socket.remote_endpoint(ignored);
    // Named, not temporaries of the co_await's expression: GCC 12 destroys a conditional's temporary
    // there twice.
    const std::string remote = ignored ? "" : endpoint.address().to_string();
    auto refusal = ProblemError(503,
                                "The server holds as many connections as it can; nothing was sent on this "
                                "one, try again in a few seconds")
                       .WithRetryAfter(5)
                       .WithReason("connection_limit")
                       .ToResponse();
    spdlog::warn("refused a connection: the server holds {}, as many as its descriptors allow",
                 options.max_connections);
    Connection connection(std::move(socket));
    co_await RefuseConnection(connection.socket, connection.deadline, router, remote, std::move(refusal),
                              options.write_timeout);
    refusing_at_cap.fetch_sub(1);
  }

  asio::awaitable<void> Session(tcp::socket socket, std::size_t loop) {
    beast::error_code ignored;
    const auto endpoint = socket.remote_endpoint(ignored);
    const std::string remote = ignored ? "" : endpoint.address().to_string();
    Connection connection(std::move(socket));
    const auto taken = peers.Take(remote);
    if (taken == PeerConnections::Slot::kRefused) co_return co_await RefuseOverPeerBound(connection, remote);
    // The peer's slot, given back when the connection closes however it ends (empty: none taken).
    const std::string slot = taken == PeerConnections::Slot::kTaken ? remote : std::string();
    Served served;
    {
      beast::flat_buffer buffer(ReadBufferLimit(options.header_limit));
      // Beast reads at most the free capacity (512 bytes when empty): room for a whole typical
      // request, bearer token included, saves a read per request.
      buffer.reserve(kReadBufferBytes);
      // A connection accepted is served its first request even when the server began stopping
      // since (Drain waits for it: `unserved`); keep-alive ends with the stop.
      for (bool first = true; first || !stopping.load(); first = false) {
        served = co_await ServeOne(connection, buffer, remote, first);
        if (first) unserved.fetch_sub(1);
        if (!served.keep_alive) break;
      }
    }  // the read buffer is freed here: a streaming connection reads no more requests
    if (served.stream) {
      // The stream goes on without this coroutine: an idle stream keeps no frames.
      StartStream(std::move(connection.socket), std::move(served.stream), std::move(served.stream_head),
                  {.registry = &streams[loop],
                   .write_timeout = options.write_timeout,
                   .on_finished =
                       [this, slot] {
                         streaming.fetch_sub(1);
                         Closed(slot);
                       },
                   .chunked = served.chunked});
      co_return;
    }
    connection.socket.shutdown(tcp::socket::shutdown_both, ignored);
    Closed(slot);
  }

  // A connection closed; `peer_slot` names the peer whose slot it held (empty: none).
  void Closed(const std::string& peer_slot) {
    if (!peer_slot.empty()) peers.Return(peer_slot);
    connections.fetch_sub(1);
    OpenConnections().Add(-1);
  }

  asio::awaitable<void> Accept() {
    asio::steady_timer pause(*loops.front());
    for (;;) {
      // At the cap every descriptor is spoken for: a new client is answered 503 from a small reserve
      // (RefuseAtCap) rather than accepted and then failing (the gateway's 502 when it cannot open
      // the upstream connection). With the reserve in use too, clients wait in the listen backlog
      // until a connection closes. Only the accept loop polls, and only then.
      if (AtCap() && refusing_at_cap.load() >= options.refusals_at_cap) {
        pause.expires_after(std::chrono::milliseconds(10));
        co_await pause.async_wait(kTuple);
        if (!acceptor.is_open()) co_return;
        continue;
      }
      // Connections are dealt round robin over the loops; each stays on its loop.
      const std::size_t loop = next_loop++ % loops.size();
      auto [ec, socket] = co_await acceptor.async_accept(loops[loop]->get_executor(), kTuple);
      if (ec) {
        if (!acceptor.is_open()) co_return;
        spdlog::warn("accept failed: {}", ec.message());
        // Out of descriptors (EMFILE) fails again until a connection closes: retrying at once would spin.
        pause.expires_after(std::chrono::milliseconds(50));
        co_await pause.async_wait(kTuple);
        continue;
      }
      if (AtCap()) {
        refusing_at_cap.fetch_add(1);
        asio::co_spawn(*loops[loop], RefuseAtCap(std::move(socket)), asio::detached);
        continue;
      }
      Admit(std::move(socket), loop);
    }
  }

  bool AtCap() const { return options.max_connections > 0 && connections.load() >= options.max_connections; }

  void Admit(tcp::socket socket, std::size_t loop) {
    connections.fetch_add(1);
    OpenConnections().Add(1);
    unserved.fetch_add(1);
    asio::co_spawn(*loops[loop], Session(std::move(socket), loop), asio::detached);
  }

  asio::awaitable<void> Drain() {
    asio::steady_timer timer(*loops.front());
    const auto deadline = std::chrono::steady_clock::now() + options.drain_timeout;
    while (
        (in_flight.load() > 0 || streaming.load() > 0 || unserved.load() > 0 || refusing_at_cap.load() > 0) &&
        std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(kTuple);
    }
    for (auto& loop : loops) loop->stop();
  }

  void BeginStop() {
    if (stopping.exchange(true)) return;
    // Streams end now, each with a clean last chunk, rather than polling for the shutdown.
    for (std::size_t i = 0; i < loops.size(); ++i) asio::post(*loops[i], [this, i] { streams[i].StopAll(); });
    asio::post(*loops.front(), [this] {
      // Connections already in the listen backlog would be reset by the close: take them first
      // (a client of a replica being replaced then gets its answer, not ECONNRESET).
      beast::error_code ignored;
      acceptor.non_blocking(true, ignored);
      for (beast::error_code ec; !ec;) {
        const std::size_t loop = next_loop++ % loops.size();
        tcp::socket socket(*loops[loop]);
        acceptor.accept(socket, ec);
        if (!ec) Admit(std::move(socket), loop);
      }
      acceptor.close(ignored);
      asio::co_spawn(*loops.front(), Drain(), asio::detached);
    });
  }
};

Server::Server(ServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

Server::~Server() = default;

void Server::Listen() {
  tcp::endpoint endpoint(asio::ip::make_address(impl_->options.host), impl_->options.port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
}

std::uint16_t Server::Port() const { return impl_->acceptor.local_endpoint().port(); }
std::size_t Server::Queued() const { return impl_->handlers.Queued(); }

void Server::Run(bool handle_signals) {
  asio::signal_set signals(*impl_->loops.front());
  if (handle_signals) AwaitServerSignals(signals, [this] { impl_->BeginStop(); });
  asio::co_spawn(*impl_->loops.front(), impl_->Accept(), asio::detached);
  spdlog::info("{} listening on {}:{}", impl_->options.service, impl_->options.host, Port());
  // The first loop runs on the calling thread; the others start from it and so start with its
  // nice value (set on each all the same, so that none depends on how threads inherit it).
  // A refusal is logged once per server, with what it takes.
  const bool prioritised = core::PrioritiseThisThread(impl_->options.io_nice, "HTTP I/O threads");
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < impl_->loops.size(); ++i) {
    threads.emplace_back([this, i, prioritised] {
      core::NameThisThread("http-io-" + std::to_string(i));
      if (prioritised) static_cast<void>(core::SetThisThreadNice(impl_->options.io_nice));
      impl_->loops[i]->run();
    });
  }
  impl_->loops.front()->run();
  for (auto& thread : threads) thread.join();
  impl_->handlers.Join();
  spdlog::info("{} stopped serving", impl_->options.service);
}

void Server::Stop() { impl_->BeginStop(); }

}  // namespace kpo::http
