#include "gateway/proxy/proxy.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <cerrno>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include "core/config.hpp"
#include "gateway/proxy/replica.hpp"
#include "gateway/proxy/request_head.hpp"
#include "gateway/proxy/resolve.hpp"
#include "gateway/proxy/upstream_error.hpp"
#include "http/access_log.hpp"
#include "http/client.hpp"
#include "http/deadline.hpp"
#include "http/operational.hpp"
#include "http/parsers.hpp"
#include "http/problem.hpp"
#include "http/stream.hpp"
#include "observability/metrics.hpp"

namespace kpo::gateway {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

using proxy::AwaitedAnswer;
using proxy::Clock;
using proxy::ConnectionPtr;
using proxy::LoopKey;
using proxy::Replica;
using proxy::UpstreamConnection;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// A stream's events are small; a read takes what has arrived, in pieces of this size.
constexpr std::size_t kStreamReadBytes = 2048;

bool KeepsResponseHeader(std::string_view name) { return !IsHopByHop(name); }

}  // namespace

std::vector<std::string> ParseAddresses(const std::string& list) {
  auto out = core::SplitList(list);
  for (const auto& item : out) core::ParseListenAddress(item);  // validates host:port
  if (out.empty()) throw std::invalid_argument("no upstream addresses in '" + list + "'");
  return out;
}

struct Upstream::Impl {
  UpstreamOptions options;
  std::vector<std::unique_ptr<Replica>> replicas;
  std::atomic<std::size_t> next{0};
  observability::Counter& ejections;
  observability::Counter& connections_opened;
  observability::Counter& stalled_refusals;

  explicit Impl(UpstreamOptions o)
      : options(std::move(o)),
        ejections(observability::Registry::Global().GetCounter("gateway_upstream_ejections_total",
                                                               "Replicas ejected after failures.",
                                                               "upstream=\"" + options.name + "\"")),
        connections_opened(observability::Registry::Global().GetCounter(
            "gateway_upstream_connections_opened_total",
            "Connections opened to the upstream's replicas (a pooled one is reused where there is one).",
            "upstream=\"" + options.name + "\"")),
        stalled_refusals(
            observability::Registry::Global().GetCounter("gateway_upstream_stalled_refusals_total",
                                                         "Requests answered 503 without being sent: every "
                                                         "replica left was stalled (UpstreamOptions::stall).",
                                                         "upstream=\"" + options.name + "\"")) {
    for (const auto& address : options.addresses) {
      auto [host, port] = core::ParseListenAddress(address);
      auto replica = std::make_unique<Replica>();
      replica->host = host;
      replica->port = port;
      replica->label = address;
      replicas.push_back(std::move(replica));
    }
  }

  // Round robin over replicas that are neither ejected nor stalled; else over those not stalled; else any.
  Replica* Pick(const Replica* avoid) {
    const auto now = Clock::now();
    const auto start = next.fetch_add(1);
    for (std::size_t i = 0; i < replicas.size(); ++i) {
      auto* candidate = replicas[(start + i) % replicas.size()].get();
      if (candidate != avoid && !candidate->Ejected(now) && !candidate->Stalled(now, options.stall)) {
        return candidate;
      }
    }
    // An ejected replica may have recovered; a stalled one is still holding requests.
    for (std::size_t i = 0; i < replicas.size(); ++i) {
      auto* candidate = replicas[(start + i) % replicas.size()].get();
      if (candidate != avoid && !candidate->Stalled(now, options.stall)) return candidate;
    }
    for (std::size_t i = 0; i < replicas.size(); ++i) {
      auto* candidate = replicas[(start + i) % replicas.size()].get();
      if (candidate != avoid || replicas.size() == 1) return candidate;
    }
    return replicas.front().get();
  }

  void MarkFailure(Replica& replica) {
    // A replica that failed one connection has often closed them all (it restarted or is shutting
    // down): the next attempts open new connections instead of finding out one pooled socket at a time.
    replica.generation.fetch_add(1);
    if (replica.consecutive_failures.fetch_add(1) + 1 >= options.failures_to_eject) {
      const auto until = Clock::now() + options.ejection;
      replica.ejected_until.store(until.time_since_epoch().count());
      replica.consecutive_failures.store(0);
      ejections.Add();
      spdlog::warn("upstream {} replica {} ejected for {} ms", options.name, replica.label,
                   options.ejection.count());
    }
  }

  void MarkSuccess(Replica& replica) { replica.consecutive_failures.store(0); }

  // An attempt of `request` on `replica` failed (`what`, when there is more to say than its answer):
  // a warning with the request's ids, set here between suspensions (never held across one).
  void Failed(Replica& replica, const http::Request& request, std::string_view what) {
    const auto log_context = http::LogContextOf(request);
    if (!what.empty()) spdlog::warn("upstream {}: {}", options.name, what);
    MarkFailure(replica);
  }

  // Once per stall (until the replica answers again): a warning, then a count per refused request.
  void ReportStall(Replica& replica, const http::Request& request) {
    const auto log_context = http::LogContextOf(request);
    stalled_refusals.Add();
    if (!replica.answers.FirstReportOfThisStall()) return;
    spdlog::warn(
        "upstream {} replica {} has answered none of its {} waiting requests for over {} ms: "
        "new requests are not sent to it meanwhile",
        options.name, replica.label, replica.answers.Waiting(), options.stall.count());
  }

  // Whether the upstream has not closed an idle pooled connection (a replica shutting down closes
  // its idle keep-alive connections): one non-blocking peek. A request written to a connection the
  // peer already closed fails without an answer, and an unkeyed POST cannot then be retried.
  static bool StillOpen(tcp::socket& socket) {
    char byte = 0;
    const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);  // 0: closed; > 0: stray bytes
  }

  static LoopKey LoopOf(const asio::any_io_executor& executor) {
    return &asio::query(executor, asio::execution::context);
  }

  asio::awaitable<ConnectionPtr> Acquire(Replica& replica) {
    auto executor = co_await asio::this_coro::executor;
    {
      std::lock_guard lock(replica.mutex);
      auto& idle = replica.idle[LoopOf(executor)];
      // Upstreams close keep-alive connections idle for 30 s; never reuse one near that age, nor
      // one pooled before the replica was last ejected.
      while (!idle.empty()) {
        auto connection = std::move(idle.back());
        idle.pop_back();
        if (Clock::now() - connection->idle_since < std::chrono::seconds(15) &&
            connection->pooled_in_generation == replica.generation.load() && StillOpen(connection->socket)) {
          co_return connection;
        }
      }
    }
    auto connection = std::make_unique<UpstreamConnection>(executor);
    beast::error_code ec;
    tcp::resolver::results_type endpoints;
    std::tie(ec, endpoints) = co_await ResolveWithin(replica.host, replica.port, options.connect_timeout);
    if (ec) throw connection->Failure("resolve", replica.label, ec, true);
    connection->deadline.ExpiresAfter(options.connect_timeout);
    std::tie(ec, std::ignore) = co_await asio::async_connect(connection->socket, endpoints, kTuple);
    if (!ec) connection->socket.set_option(tcp::no_delay(true), ec);
    if (ec) throw connection->Failure("connect to", replica.label, ec, true);
    connections_opened.Add();
    co_return connection;
  }

  void Release(Replica& replica, ConnectionPtr connection) {
    connection->deadline.Clear();
    connection->idle_since = Clock::now();
    connection->pooled_in_generation = replica.generation.load();
    const auto loop = LoopOf(connection->socket.get_executor());
    std::lock_guard lock(replica.mutex);
    auto& idle = replica.idle[loop];
    if (idle.size() < options.max_idle_per_replica) idle.push_back(std::move(connection));
  }

  // Relays a response stream's body (the parser pushes it to the client's event stream) as it
  // arrives, until the upstream ends it or the client goes away. A stream is quiet most of its life:
  // while nothing half-parsed is buffered it waits for the socket to turn readable holding no read
  // buffer (an event or heartbeat allocates one, briefly). When the client's side abandons the
  // stream, the wait is cancelled at once, so the upstream connection closes with the client's.
  static asio::awaitable<void> Pump(std::shared_ptr<UpstreamConnection> connection,
                                    std::shared_ptr<http::EventStream> events,
                                    std::chrono::milliseconds idle) {
    events->OnAbandon(
        [weak = std::weak_ptr<UpstreamConnection>(connection), executor = connection->socket.get_executor()] {
          asio::post(executor, [weak] {
            beast::error_code ignored;
            if (auto gone = weak.lock()) gone->socket.cancel(ignored);
          });
        });
    auto& parser = *connection->parser;
    auto& buffer = connection->buffer;
    beast::error_code ec;
    while (!ec && !events->Abandoned()) {
      // Whatever complete pieces are buffered go to the client now; what remains is an incomplete
      // piece (a few bytes at most, between events) that needs more from the socket.
      while (buffer.size() > 0 && !parser.is_done()) {
        const auto used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec || used == 0) break;
      }
      if (ec == bhttp::error::need_more) ec = {};
      if (ec || parser.is_done()) break;
      buffer.shrink_to_fit();
      connection->deadline.ExpiresAfter(idle);
      std::tie(ec) = co_await connection->socket.async_wait(tcp::socket::wait_read, kTuple);
      if (ec) break;
      // Readable: take what has arrived, at once (an event must not wait for more).
      std::size_t read = 0;
      std::tie(ec, read) =
          co_await connection->socket.async_read_some(buffer.prepare(kStreamReadBytes), kTuple);
      buffer.commit(read);
    }
    events->Close();
    beast::error_code ignored;
    connection->socket.shutdown(tcp::socket::shutdown_both, ignored);
  }

  asio::awaitable<http::Response> Attempt(Replica& replica, const http::Request& request,
                                          HeaderViews extra_headers) {
    ConnectionPtr connection = co_await Acquire(replica);
    const std::string head = UpstreamRequestHead(request, extra_headers, replica.label);
    connection->deadline.ExpiresAfter(options.response_timeout);
    AwaitedAnswer awaited(replica);
    const std::array<asio::const_buffer, 2> out{asio::buffer(head), asio::buffer(request.body)};
    auto [write_error, written] = co_await asio::async_write(connection->socket, out, kTuple);
    if (write_error) throw connection->Failure("write to", replica.label, write_error);

    http::Response response;
    auto& parser = connection->parser.emplace(response, KeepsResponseHeader);
    auto [read_error, read] =
        co_await bhttp::async_read_header(connection->socket, connection->buffer, parser, kTuple);
    if (read_error) throw connection->Failure("read from", replica.label, read_error);
    awaited.Arrived();

    if (parser.IsEventStream()) {
      // The body is relayed as it comes, by a coroutine that owns the connection from here on.
      response.stream = std::make_shared<http::EventStream>();
      parser.StreamTo(response.stream);
      asio::co_spawn(co_await asio::this_coro::executor,
                     Pump(std::shared_ptr<UpstreamConnection>(std::move(connection)), response.stream,
                          options.stream_idle_timeout),
                     asio::detached);
      co_return response;
    }
    // The rest is read whole, into the response body itself.
    auto [body_error, body_bytes] =
        co_await bhttp::async_read(connection->socket, connection->buffer, parser, kTuple);
    if (body_error) throw connection->Failure("reading the body from", replica.label, body_error);
    const bool reusable = parser.keep_alive();
    connection->parser.reset();  // it refers to `response`, which leaves with the return
    if (reusable) Release(replica, std::move(connection));
    co_return response;
  }
};

Upstream::Upstream(UpstreamOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Upstream::~Upstream() = default;

const std::string& Upstream::Name() const { return impl_->options.name; }

void Upstream::CloseIdleConnections() {
  for (auto& replica : impl_->replicas) {
    std::lock_guard lock(replica->mutex);
    replica->idle.clear();
  }
}

asio::awaitable<http::Response> Upstream::Forward(const http::Request& request, HeaderViews extra_headers) {
  const bool read = request.method == "GET" || request.method == "HEAD";
  const bool keyed = request.Header("Idempotency-Key").has_value();
  Replica* previous = nullptr;
  Unanswered unanswered{.failure = UpstreamErrorKind::kConnect, .read = read, .keyed = keyed};
  // Another attempt only when the last cannot have applied the request or repeating it is harmless
  // (MayRetryElsewhere): a replica being replaced or killed must not fail a request another can serve.
  // Three with several replicas: the first may fail on a connection pooled before a replica restarted
  // and the second on a replica that is shutting down; the third then gets a new connection.
  // With one replica, one more attempt, on a new connection, only after a connection broke
  // (MayRetryOnSameReplica): a replica killed while it held the request has not answered, and the
  // new connection finds it restarted, or refused and so unavailable (503, Retry-After) — not a 502.
  // The new connection may also land in the listen backlog of the dying process and be reset too:
  // still 503 for what is safe to repeat (StatusFor).
  const bool several = impl_->replicas.size() > 1;
  const int attempts = several ? 3 : 2;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    Replica& replica = *impl_->Pick(previous);
    previous = &replica;
    // Every replica left holds requests it has not answered for a while: one request at a time still
    // goes to it (a replica that is only slow answers it, and so ends the stall); the others are
    // refused at once, as unavailable (nothing was sent), instead of waiting behind the held ones.
    std::optional<StallProbe> probe;
    if (replica.Stalled(Clock::now(), impl_->options.stall) && !probe.emplace(replica.answers).Granted()) {
      impl_->ReportStall(replica, request);
      unanswered.failure = UpstreamErrorKind::kConnect;
      unanswered.stalled = true;
      break;
    }
    // The edge of an upstream call: a failure becomes a retry or a 502/503/504 answer.
    std::string failed;
    try {
      auto response = co_await impl_->Attempt(replica, request, extra_headers);
      if (response.status == 503 && read && attempt == 0 && several) {
        impl_->Failed(replica, request, {});
        continue;
      }
      impl_->MarkSuccess(replica);
      co_return response;
    } catch (const UpstreamError& error) {
      unanswered.failure = error.Kind();
      failed = error.what();
    } catch (const std::exception& error) {
      // Anything else (e.g. out of memory) is no answer either, and no timeout.
      unanswered.failure = UpstreamErrorKind::kTransport;
      failed = error.what();
    }
    impl_->Failed(replica, request, failed);
    const auto failure = unanswered.failure;
    unanswered.maybe_applied = unanswered.maybe_applied || (!read && failure != UpstreamErrorKind::kConnect);
    if (several ? !MayRetryElsewhere(read, keyed, failure) : !MayRetryOnSameReplica(read, keyed, failure))
      break;
  }
  co_return UnansweredResponse(impl_->options.name, unanswered);
}

bool Upstream::AnyReplicaReady(const std::string& path) const {
  for (const auto& replica : impl_->replicas) {
    // A readiness probe reports failures; it must never fail itself.
    try {
      if (http::Fetch(replica->host, replica->port, "GET", path, {}, {}, http::kReadinessCheckDeadline)
              .status == 200) {
        return true;
      }
    } catch (const std::system_error& error) {
      spdlog::warn("readiness of {} replica {}: {}", impl_->options.name, replica->label, error.what());
    }
  }
  return false;
}

}  // namespace kpo::gateway
