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
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/ascii.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "http/deadline.hpp"
#include "http/parsers.hpp"
#include "http/problem.hpp"
#include "http/stream.hpp"
#include "observability/metrics.hpp"

namespace kpo::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadBufferBytes = 4096;

bool IsAcceptableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

// Framing headers are the server's to write; a handler's copy would contradict them.
bool IsFramingHeader(std::string_view name) {
  return core::EqualsIgnoringAsciiCase("content-length", name) ||
         core::EqualsIgnoringAsciiCase("transfer-encoding", name) ||
         core::EqualsIgnoringAsciiCase("connection", name);
}

bool IsSafeHeader(std::string_view name, std::string_view value) {
  return !name.empty() && name.find_first_of(":\r\n") == std::string_view::npos &&
         value.find_first_of("\r\n") == std::string_view::npos;
}

// The status line and headers of a response with a `content_length` byte body, or of a chunked
// one when there is no length (a stream). Written by hand: Beast's serializer walks a buffer
// sequence per field, which cost more than the proxying itself.
std::string ResponseHead(const Response& response, std::optional<std::size_t> content_length,
                         unsigned version, bool keep_alive) {
  std::string head;
  head.reserve(256);
  head += "HTTP/1.1 ";
  head += std::to_string(response.status);
  head += ' ';
  head += bhttp::obsolete_reason(static_cast<bhttp::status>(response.status));
  head += "\r\n";
  for (const auto& [name, value] : response.headers) {
    if (IsFramingHeader(name)) continue;
    if (!IsSafeHeader(name, value)) {
      spdlog::warn("dropped a response header with a forbidden character: {}", name);
      continue;
    }
    AppendHeaderLine(head, name, value);
  }
  // 1xx, 204 and 304 answers have no body and so no length (RFC 9110 §8.6).
  const bool bodiless = response.status < 200 || response.status == 204 || response.status == 304;
  if (!content_length) {
    AppendHeaderLine(head, "Transfer-Encoding", "chunked");
  } else if (!bodiless) {
    AppendHeaderLine(head, "Content-Length", std::to_string(*content_length));
  }
  if (!keep_alive) {
    AppendHeaderLine(head, "Connection", "close");
  } else if (version < 11) {
    AppendHeaderLine(head, "Connection", "keep-alive");
  }
  head += "\r\n";
  return head;
}

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
  asio::thread_pool workers{static_cast<std::size_t>(options.workers)};
  tcp::acceptor acceptor{*loops.front()};
  std::size_t next_loop = 0;
  std::atomic<int> in_flight{0};
  std::atomic<int> streaming{0};
  std::atomic<bool> stopping{false};

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

  // Runs the route's handler: a blocking one on the worker pool (the session waits without
  // holding an I/O thread), an async one right here. The edge of a request: every failure of a
  // handler becomes an answer.
  asio::awaitable<Response> Invoke(Request& request, const Router::Found& route) {
    if (MethodMayCarryBody(request.method) && !request.body.empty()) {
      auto type = request.Header("Content-Type");
      if (!type || MediaType(*type) != "application/json") {
        co_return ProblemResponse(415, "Request bodies must be sent as Content-Type: application/json");
      }
    }
    if (route.handler == nullptr && route.async_handler == nullptr) co_return route.error;
    std::exception_ptr failure;
    Response response;
    if (route.async_handler != nullptr) {
      try {
        response = co_await (*route.async_handler)(request);
      } catch (const std::exception&) {
        failure = std::current_exception();
      }
    } else {
      auto executor = co_await asio::this_coro::executor;
      auto done = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
      asio::post(workers, [&, done, executor] {
        core::LogContext log_context(request.request_id, request.traceparent.substr(3, 32));
        try {
          response = (*route.handler)(request);
        } catch (const std::exception&) {
          failure = std::current_exception();
        }
        // Runs on the session's loop, so only after the session is suspended on `done`.
        asio::post(executor, [done] { done->cancel(); });
      });
      co_await done->async_wait(kTuple);
    }
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const ProblemError& problem) {
        co_return problem.ToResponse();
      } catch (const std::exception& error) {
        if (auto answer = router.MapError(error)) co_return std::move(*answer);
        spdlog::error("unhandled error in {} {}: {}", request.method, request.path, error.what());
        co_return ProblemResponse(500, "The server could not complete the request; it has been logged");
      }
    }
    co_return response;
  }

  // Streams `response.stream` as a chunked body until the producer closes it, the client goes
  // away or the server stops.
  asio::awaitable<void> WriteStream(Connection& connection, const Response& response, unsigned version) {
    const std::string head = ResponseHead(response, std::nullopt, version, false);
    connection.deadline.ExpiresAfter(options.write_timeout);
    auto [ec, n] = co_await asio::async_write(connection.socket, asio::buffer(head), kTuple);
    // The deadline bounds each write, not the quiet time between events.
    connection.deadline.Clear();
    auto& events = *response.stream;
    auto executor = co_await asio::this_coro::executor;
    auto wake = std::make_shared<asio::steady_timer>(executor);
    events.SetWaker([wake, executor] { asio::post(executor, [wake] { wake->cancel(); }); });
    while (!ec) {
      auto batch = events.Take();
      for (const auto& chunk : batch.chunks) {
        if (ec) break;
        connection.deadline.ExpiresAfter(options.write_timeout);
        std::tie(ec, n) =
            co_await asio::async_write(connection.socket, bhttp::make_chunk(asio::buffer(chunk)), kTuple);
      }
      connection.deadline.Clear();
      if (ec) break;
      if (batch.closed || stopping.load()) {
        connection.deadline.ExpiresAfter(options.write_timeout);
        co_await asio::async_write(connection.socket, bhttp::make_chunk_last(), kTuple);
        break;
      }
      // Wakes on new data, or every second to notice a shutdown.
      wake->expires_after(std::chrono::seconds(1));
      co_await wake->async_wait(kTuple);
    }
    events.Abandon();
  }

  // Stamps a parsed request with where it came from and the ids it is known by downstream.
  static void Identify(Request& request, const std::string& remote) {
    request.remote_address = remote;
    auto client_id = request.Header("X-Request-Id");
    request.request_id =
        client_id && IsAcceptableRequestId(*client_id) ? std::string(*client_id) : core::NewUuid();
    auto incoming = request.Header("traceparent");
    auto parent = incoming ? core::TraceParent::Parse(*incoming) : std::nullopt;
    request.traceparent = (parent ? parent->Child() : core::TraceParent::New()).ToString();
  }

  asio::awaitable<void> WriteResponse(Connection& connection, Response response, unsigned version,
                                      bool keep_alive, bool head) {
    const std::string header = ResponseHead(response, response.body.size(), version, keep_alive);
    connection.deadline.ExpiresAfter(options.write_timeout);
    // One send for the head and the body.
    const std::array<asio::const_buffer, 2> buffers{
        asio::buffer(header), head ? asio::const_buffer() : asio::buffer(response.body)};
    co_await asio::async_write(connection.socket, buffers, kTuple);
  }

  // After an answer to a request that was not read whole (a body over the limit): stop sending,
  // then read and discard what the client still sends, for a bounded time and amount. Closing at
  // once would reset the connection while the client (or a proxy in front) is still sending, and
  // it would see the reset instead of the answer.
  asio::awaitable<void> DrainBeforeClose(Connection& connection) {
    constexpr std::size_t kMaxDrainBytes = 4U << 20U;
    beast::error_code ec;
    connection.socket.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    connection.deadline.ExpiresAfter(options.read_timeout);
    constexpr std::size_t kScratchBytes = 16UL * 1024;
    const auto scratch = std::make_unique<char[]>(kScratchBytes);  // not in the session's frame
    std::size_t drained = 0;
    while (drained < kMaxDrainBytes) {
      auto [read_error, n] =
          co_await connection.socket.async_read_some(asio::buffer(scratch.get(), kScratchBytes), kTuple);
      if (read_error) break;  // the client is done (EOF), gone, or too slow (deadline)
      drained += n;
    }
    connection.deadline.Clear();
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::error_code ignored;
    const auto endpoint = socket.remote_endpoint(ignored);
    const std::string remote = ignored ? "" : endpoint.address().to_string();
    Connection connection(std::move(socket));
    beast::flat_buffer buffer;
    // Beast reads at most the free capacity (512 bytes when empty): room for a whole typical
    // request, bearer token included, saves a read per request.
    buffer.reserve(kReadBufferBytes);
    bool first = true;
    while (!stopping.load()) {
      Request request;
      RequestParser parser(request);
      parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
      parser.body_limit(options.body_limit);
      // A keep-alive connection may idle longer than a client may take to send one request.
      connection.deadline.ExpiresAfter(first ? options.read_timeout : options.idle_timeout);
      auto [ec, bytes] = co_await bhttp::async_read(connection.socket, buffer, parser, kTuple);
      // The read deadline is for the client; the handler may take its time (its own I/O has deadlines).
      connection.deadline.Clear();
      first = false;
      if (ec) {
        Response error;
        if (ec == bhttp::error::body_limit) {
          error = ProblemResponse(
              413, "The request body exceeds " + std::to_string(options.body_limit) + " bytes");
        } else if (ec == bhttp::error::header_limit) {
          error = ProblemResponse(431, "The request headers are too large");
        } else if (ec.category() == bhttp::make_error_code(bhttp::error::body_limit).category() &&
                   ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message && bytes > 0) {
          error = ProblemResponse(400, "Malformed HTTP request: " + ec.message());
        } else {
          break;  // closed, reset, or too slow (timeout): nothing to answer
        }
        // Whatever of the head was parsed still identifies the request.
        Identify(request, remote);
        error.SetHeader("X-Request-Id", std::move(request.request_id));
        error.SetHeader("traceparent", std::move(request.traceparent));
        co_await WriteResponse(connection, std::move(error), 11, false, false);
        co_await DrainBeforeClose(connection);
        break;
      }
      in_flight.fetch_add(1);
      const auto version = parser.Version();
      const bool keep_alive = parser.keep_alive() && !stopping.load();
      const bool head = parser.IsHead();
      const auto started = std::chrono::steady_clock::now();
      Identify(request, remote);
      Response response;
      std::string_view route = "invalid";
      if (request.headers.size() > options.max_header_count) {
        response = ProblemResponse(431, "Too many request header fields");
      } else if (auto target = ParseTarget(request.target)) {
        request.path = std::move(target->first);
        request.query = std::move(target->second);
        auto found = router.Find(request);
        route = found.pattern;
        response = co_await Invoke(request, found);
      } else {
        response = ProblemResponse(400, "The request target is not a valid URI path");
      }
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      Record(request, route, response.status, seconds);
      // The request is done with: its ids move into the answer.
      response.SetHeader("X-Request-Id", std::move(request.request_id));
      response.SetHeader("traceparent", std::move(request.traceparent));
      if (response.stream) {
        // Streams end themselves within a second of a shutdown (with a clean last chunk).
        streaming.fetch_add(1);
        in_flight.fetch_sub(1);
        co_await WriteStream(connection, response, version);
        streaming.fetch_sub(1);
        break;
      }
      co_await WriteResponse(connection, std::move(response), version, keep_alive, head);
      in_flight.fetch_sub(1);
      if (!keep_alive) break;
    }
    connection.socket.shutdown(tcp::socket::shutdown_both, ignored);
  }

  void Record(const Request& request, std::string_view route, int status, double seconds) {
    // Registry lookups take a lock and format labels: each I/O thread remembers what it found,
    // under a key built in a reused buffer (no allocation once seen).
    thread_local std::unordered_map<std::string, observability::Counter*> counters;
    thread_local std::unordered_map<std::string, observability::Histogram*> histograms;
    thread_local std::string key;
    auto& registry = observability::Registry::Global();
    key.assign(request.method).append(1, ' ').append(route).append(1, ' ').append(std::to_string(status));
    auto counter = counters.find(key);
    if (counter == counters.end()) {
      counter = counters
                    .emplace(key, &registry.GetCounter("http_requests_total", "HTTP requests served.",
                                                       fmt::format(R"(method="{}",route="{}",status="{}")",
                                                                   request.method, route, status)))
                    .first;
    }
    counter->second->Add();
    key.assign(route);
    auto histogram = histograms.find(key);
    if (histogram == histograms.end()) {
      histogram =
          histograms
              .emplace(key, &registry.GetHistogram("http_request_duration_seconds", "HTTP request latency.",
                                                   fmt::format("route=\"{}\"", route)))
              .first;
    }
    histogram->second->Observe(seconds);
    if (route == "/healthz" || route == "/readyz" || route == "/metrics") return;
    if (!spdlog::should_log(spdlog::level::info)) return;
    core::LogContext log_context(request.request_id, request.traceparent.substr(3, 32));
    spdlog::info(R"(access method={} path={} status={} duration_ms={:.3f} remote={})", request.method,
                 request.path, status, seconds * 1000, request.remote_address);
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      // Connections are dealt round robin over the loops; each stays on its loop.
      const asio::any_io_executor loop = loops[next_loop++ % loops.size()]->get_executor();
      auto [ec, socket] = co_await acceptor.async_accept(loop, kTuple);
      if (ec) {
        if (!acceptor.is_open()) co_return;
        spdlog::warn("accept failed: {}", ec.message());
        continue;
      }
      asio::co_spawn(loop, Session(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Drain() {
    asio::steady_timer timer(*loops.front());
    const auto deadline = std::chrono::steady_clock::now() + options.drain_timeout;
    while ((in_flight.load() > 0 || streaming.load() > 0) && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(kTuple);
    }
    for (auto& loop : loops) loop->stop();
  }

  void BeginStop() {
    if (stopping.exchange(true)) return;
    asio::post(*loops.front(), [this] {
      beast::error_code ignored;
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

void Server::Run(bool handle_signals) {
  asio::signal_set signals(*impl_->loops.front());
  if (handle_signals) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
    signals.async_wait([this](const beast::error_code& ec, int signal) {
      if (ec) return;
      spdlog::info("signal {} received: draining", signal);
      impl_->BeginStop();
    });
  }
  asio::co_spawn(*impl_->loops.front(), impl_->Accept(), asio::detached);
  spdlog::info("{} listening on {}:{}", impl_->options.service, impl_->options.host, Port());
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < impl_->loops.size(); ++i) {
    threads.emplace_back([this, i] { impl_->loops[i]->run(); });
  }
  impl_->loops.front()->run();
  for (auto& thread : threads) thread.join();
  impl_->workers.join();
  spdlog::info("{} stopped serving", impl_->options.service);
}

void Server::Stop() { impl_->BeginStop(); }

}  // namespace kpo::http
