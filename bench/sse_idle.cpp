// Idle Server-Sent Events at scale: opens N streams (GET /api/events) through the gateway, waits
// until every one got its first bytes, reports the errors and the RSS of the gateway and orders
// processes, then closes K streams and measures how long the servers take to let go of them (their
// descriptor counts drop: the gateway holds the client's socket and the upstream's per stream,
// orders one). Loopback only; every phase is bounded in time.
//   kpo-sse-idle [--port 6105] [--streams 10000] [--close 100] [--users 50] [--parallel 256]
//                [--gateway-pid P] [--orders-pid P] [--run-dir .run] [--open-timeout-s 120]
//                [--release-timeout-s 10] [--settle-ms 2000] [--rst] [--direct]
// Tokens come from POST /api/auth/guest (--users of them, shared round robin), within the
// gateway's per-IP burst. With --direct the streams go straight to orders (--port is its port) with the
// X-User-Id header the gateway would set. Pids not given are read from <run-dir>/gateway.pid and orders.pid.
// Exits 1 when a stream failed or was not released in time.
#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/limits.hpp"
#include "http/client.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct Options {
  std::uint16_t port = 6105;
  std::size_t streams = 10'000;
  std::size_t close = 100;
  std::size_t users = 50;
  std::size_t parallel = 256;  // streams being opened at once (the listen backlog is finite)
  int gateway_pid = 0;
  int orders_pid = 0;
  std::string run_dir = ".run";
  std::chrono::seconds open_timeout{120};
  std::chrono::seconds release_timeout{10};
  std::chrono::milliseconds settle{2000};
  bool reset = false;   // close with RST (SO_LINGER 0) instead of FIN
  bool direct = false;  // straight to orders (--port is its port) as X-User-Id users: no gateway in the path
};

std::size_t Number(const std::string& name, const std::string& text) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    throw std::invalid_argument(name + " needs a whole number, not '" + text + "'");
  }
  return value;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  const std::map<std::string, std::function<void(const std::string&, const std::string&)>> setters{
      {"--port", [&](auto& n, auto& v) { o.port = static_cast<std::uint16_t>(Number(n, v)); }},
      {"--streams", [&](auto& n, auto& v) { o.streams = Number(n, v); }},
      {"--close", [&](auto& n, auto& v) { o.close = Number(n, v); }},
      {"--users", [&](auto& n, auto& v) { o.users = std::max<std::size_t>(1, Number(n, v)); }},
      {"--parallel", [&](auto& n, auto& v) { o.parallel = std::max<std::size_t>(1, Number(n, v)); }},
      {"--gateway-pid", [&](auto& n, auto& v) { o.gateway_pid = static_cast<int>(Number(n, v)); }},
      {"--orders-pid", [&](auto& n, auto& v) { o.orders_pid = static_cast<int>(Number(n, v)); }},
      {"--run-dir", [&](auto& /*n*/, auto& v) { o.run_dir = v; }},
      {"--open-timeout-s", [&](auto& n, auto& v) { o.open_timeout = std::chrono::seconds(Number(n, v)); }},
      {"--release-timeout-s",
       [&](auto& n, auto& v) { o.release_timeout = std::chrono::seconds(Number(n, v)); }},
      {"--settle-ms", [&](auto& n, auto& v) { o.settle = std::chrono::milliseconds(Number(n, v)); }},
  };
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    if (name == "--rst" || name == "--direct") {
      (name == "--rst" ? o.reset : o.direct) = true;
      continue;
    }
    const auto setter = setters.find(name);
    if (setter == setters.end()) throw std::invalid_argument("unknown option " + name);
    if (i + 1 >= argc) throw std::invalid_argument("missing value for " + name);
    setter->second(name, argv[++i]);
  }
  // Bounded: at most 30 000 streams (the loopback port range) and 10 minutes per phase.
  if (o.streams > 30'000 || o.close > o.streams || o.open_timeout > std::chrono::minutes(10) ||
      o.release_timeout > std::chrono::minutes(10) || o.settle > std::chrono::minutes(10)) {
    throw std::invalid_argument("--streams ≤ 30000, --close ≤ --streams, timeouts and --settle-ms ≤ 600 s");
  }
  return o;
}

int PidFrom(int given, const std::string& run_dir, const std::string& name) {
  if (given > 0) return given;
  std::ifstream file(run_dir + "/" + name + ".pid");
  int pid = 0;
  if (!(file >> pid))
    throw std::runtime_error("no --" + name + "-pid and no " + run_dir + "/" + name + ".pid");
  return pid;
}

// VmRSS of a process in KiB.
long RssKib(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  throw std::runtime_error("no VmRSS for pid " + std::to_string(pid));
}

long OpenFds(int pid) {
  long count = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    ++count;
  }
  return count;
}

// The identity header of each user: a guest's bearer token from the gateway, or (--direct) the
// X-User-Id the gateway would have set.
std::vector<std::string> Identities(const Options& options) {
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < options.users; ++i) {
    if (options.direct) {
      tokens.push_back("X-User-Id: " + kpo::core::NewUuid());
      continue;
    }
    const auto response = kpo::http::Fetch("127.0.0.1", options.port, "POST", "/api/auth/guest",
                                           {{"Content-Type", "application/json"}}, "{}");
    if (response.status != 201) {
      throw std::runtime_error("POST /api/auth/guest answered " + std::to_string(response.status) + ": " +
                               response.body);
    }
    tokens.push_back("Authorization: Bearer " +
                     std::string(boost::json::parse(response.body).at("token").as_string()));
  }
  return tokens;
}

struct Stream {
  explicit Stream(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  bool open = false;
  bool closed_by_us = false;
  bool given_up = false;  // not open in time: closed by us and counted as late
};

// The streams and their outcome. Single threaded: everything runs on `io`.
struct Run {
  explicit Run(Options o) : options(std::move(o)) {}
  Options options;
  asio::io_context io{1};
  std::vector<std::string> tokens;  // identity headers
  std::vector<std::unique_ptr<Stream>> streams;
  std::size_t next = 0;
  std::size_t opening = 0;
  std::size_t opened = 0;
  std::size_t failed = 0;
  std::size_t dropped = 0;  // open streams the server ended before we closed them
  std::map<std::string, std::size_t> errors;

  void Launch();
  asio::awaitable<void> Open(Stream& stream, const std::string& identity);
  asio::awaitable<bool> ReadFirstBytes(Stream& stream);
  void Fail(const Stream& stream, const std::string& kind) {
    if (stream.given_up) return;  // already counted as late
    ++errors[kind];
    ++failed;
  }
};

// Keeps `parallel` streams opening at a time until all were started.
void Run::Launch() {
  while (opening < options.parallel && next < options.streams) {
    auto& stream = *streams.emplace_back(std::make_unique<Stream>(io));
    const auto& identity = tokens[next++ % tokens.size()];
    ++opening;
    asio::co_spawn(io, Open(stream, identity), asio::detached);
  }
}

// Reads the answer's head and the first bytes of its body; false (counted) on anything else.
asio::awaitable<bool> Run::ReadFirstBytes(Stream& stream) {
  std::string received;
  std::array<char, 512> buffer{};
  for (;;) {
    auto [ec, n] = co_await stream.socket.async_read_some(asio::buffer(buffer), kTuple);
    if (ec) {
      Fail(stream, "closed before the first bytes: " + ec.message());
      co_return false;
    }
    received.append(buffer.data(), n);
    const auto end = received.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (received.size() <= 16'384) continue;
      Fail(stream, "oversized response head");
      co_return false;
    }
    if (!received.starts_with("HTTP/1.1 200 ")) {
      Fail(stream, "status " + received.substr(9, 3));
      co_return false;
    }
    if (received.size() > end + 4) co_return true;
  }
}

asio::awaitable<void> Run::Open(Stream& stream, const std::string& identity) {
  const tcp::endpoint server(asio::ip::make_address("127.0.0.1"), options.port);
  bool ok = false;
  if (auto [ec] = co_await stream.socket.async_connect(server, kTuple); ec) {
    Fail(stream, "connect: " + ec.message());
  } else {
    const std::string request =
        "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n" + identity +
        "\r\n\r\n";
    auto [write_error, n] = co_await asio::async_write(stream.socket, asio::buffer(request), kTuple);
    if (write_error) {
      Fail(stream, "write: " + write_error.message());
    } else {
      ok = co_await ReadFirstBytes(stream);
    }
  }
  --opening;
  Launch();
  if (!ok) co_return;
  stream.open = true;
  ++opened;
  // Heartbeats are read and dropped until we close the stream; the server ending it is an error.
  std::array<char, 256> buffer{};
  for (;;) {
    auto [ec, n] = co_await stream.socket.async_read_some(asio::buffer(buffer), kTuple);
    if (ec) break;
  }
  if (!stream.closed_by_us) ++dropped;
}

struct Pids {
  int gateway = 0;
  int orders = 0;
};

// User + system CPU seconds a process has used (/proc/<pid>/stat fields 14 and 15).
double CpuSeconds(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // the name may hold spaces
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

void Report(const char* when, const Pids& pids) {
  std::printf(
      "%-20s gateway VmRSS %6.1f MiB %6ld fds %6.2f cpu-s | orders VmRSS %6.1f MiB %6ld fds %6.2f cpu-s\n",
      when, static_cast<double>(RssKib(pids.gateway)) / 1024.0, OpenFds(pids.gateway),
      CpuSeconds(pids.gateway), static_cast<double>(RssKib(pids.orders)) / 1024.0, OpenFds(pids.orders),
      CpuSeconds(pids.orders));
}

// Opens every stream, `parallel` at a time, until all got their first bytes or the time is up.
void OpenAll(Run& run) {
  const auto started = Clock::now();
  const auto deadline = started + run.options.open_timeout;
  run.streams.reserve(run.options.streams);
  run.Launch();
  while (run.opened + run.failed < run.options.streams && Clock::now() < deadline) {
    run.io.run_for(std::chrono::milliseconds(100));
  }
  const auto late = run.options.streams - run.opened - run.failed;
  if (late > 0) {
    run.errors["not open within --open-timeout-s"] += late;
    run.failed += late;
    run.next = run.options.streams;  // start no more
    for (auto& stream : run.streams) {
      boost::system::error_code ignored;
      if (stream->open) continue;
      stream->given_up = true;
      stream->socket.close(ignored);  // the server must not serve it later
    }
  }
  std::printf("opened %zu of %zu streams in %.1f s; %zu failed, %zu late\n", run.opened, run.options.streams,
              std::chrono::duration<double>(Clock::now() - started).count(), run.failed - late, late);
}

// Closes `close` open streams and waits until the gateway's descriptors dropped by two per stream
// (client and upstream) and orders' by one. Returns false when either did not within the bound.
bool CloseAndWaitForRelease(Run& run, const Pids& pids) {
  const auto gateway_before = OpenFds(pids.gateway);
  const auto orders_before = OpenFds(pids.orders);
  long closed = 0;
  for (auto& stream : run.streams) {
    if (closed == static_cast<long>(run.options.close)) break;
    if (!stream->open) continue;
    boost::system::error_code ignored;
    if (run.options.reset) stream->socket.set_option(asio::socket_base::linger(true, 0), ignored);
    stream->closed_by_us = true;
    stream->socket.close(ignored);
    ++closed;
  }
  const auto started = Clock::now();
  std::optional<double> gateway_ms;
  std::optional<double> orders_ms;
  while ((!gateway_ms || !orders_ms) && Clock::now() - started < run.options.release_timeout) {
    run.io.run_for(std::chrono::milliseconds(10));
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    // Through the gateway it holds two descriptors per stream (client and upstream); direct, none.
    const long gateway_drop = run.options.direct ? 0 : 2 * closed;
    if (!gateway_ms && OpenFds(pids.gateway) <= gateway_before - gateway_drop) gateway_ms = ms;
    if (!orders_ms && OpenFds(pids.orders) <= orders_before - closed) orders_ms = ms;
  }
  const auto show = [](const std::optional<double>& ms) {
    return ms ? std::to_string(static_cast<long>(*ms)) + " ms" : std::string("NOT within the bound");
  };
  std::printf("closed %ld streams (%s): gateway released them in %s, orders in %s\n", closed,
              run.options.reset ? "RST" : "FIN", show(gateway_ms).c_str(), show(orders_ms).c_str());
  return gateway_ms && orders_ms;
}

int Main(int argc, char** argv) {
  Run run(ParseOptions(argc, argv));
  const auto limit = kpo::core::RaiseOpenFileLimit();
  if (limit.soft < run.options.streams + 64) {
    std::fprintf(stderr, "open file limit %llu is too low for %zu streams\n",
                 static_cast<unsigned long long>(limit.soft), run.options.streams);
    return 2;
  }
  const Pids pids{PidFrom(run.options.gateway_pid, run.options.run_dir, "gateway"),
                  PidFrom(run.options.orders_pid, run.options.run_dir, "orders")};
  run.tokens = Identities(run.options);
  Report("before:", pids);
  OpenAll(run);
  Report("all streams open:", pids);
  const auto settle_until = Clock::now() + run.options.settle;
  while (Clock::now() < settle_until) run.io.run_for(std::chrono::milliseconds(100));
  Report("after settling:", pids);
  const bool released = run.options.close == 0 || CloseAndWaitForRelease(run, pids);
  Report("after closing:", pids);
  for (const auto& [kind, count] : run.errors) std::printf("error: %zu × %s\n", count, kind.c_str());
  std::printf("errors: %zu of %zu, dropped by the server: %zu\n", run.failed, run.options.streams,
              run.dropped);
  return run.errors.empty() && run.dropped == 0 && released ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  // The edge of the tool: a bad option or an unreachable gateway is reported, not thrown.
  try {
    return Main(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "kpo-sse-idle: %s\n", error.what());
    return 2;
  }
}
