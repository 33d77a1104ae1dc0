// The proxy when its upstream fails: a service that cannot be reached, and a replica killed while
// holding a request (kill -9). A read is asked again, a keyed write goes again, an unkeyed write
// is never repeated and the client is told its outcome is unknown.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gateway/proxy/proxy.hpp"
#include "http/client.hpp"
#include "http/loopback_server.hpp"
#include "http/server.hpp"

namespace kpo::gateway {
namespace {

using namespace std::chrono_literals;

// A service that is down (its port refuses connections) was sent nothing: the client is told it is
// unavailable and when to come back, as for any other outage, not that the gateway failed.
TEST(ProxyFailure, AServiceThatCannotBeReachedIsUnavailableWithRetryAfter) {
  spdlog::set_level(spdlog::level::off);
  std::uint16_t closed_port = 0;
  {
    http::Router router;
    http::ServerOptions options;
    options.host = "127.0.0.1";
    http::Server server(options, router);
    server.Listen();
    closed_port = server.Port();
  }
  Upstream upstream(
      UpstreamOptions{.name = "orders", .addresses = {"127.0.0.1:" + std::to_string(closed_port)}});
  http::Router gateway_router;
  gateway_router.AddAsync("POST", "/api/orders",
                          [&upstream](http::Request& request) { return upstream.Forward(request, {}); });
  http::ServerOptions gateway_options;
  gateway_options.host = "127.0.0.1";
  http::Server gateway_server(gateway_options, gateway_router);
  gateway_server.Listen();
  std::thread gateway_thread([&] { gateway_server.Run(false); });

  const auto response = http::Fetch("127.0.0.1", gateway_server.Port(), "POST", "/api/orders",
                                    {{"Content-Type", "application/json"}}, "{}");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.Header("Retry-After"), "1");
  EXPECT_TRUE(response.Header("Content-Type").value_or("").starts_with("application/problem+json"));
  EXPECT_NE(response.body.find("/problems/unavailable"), std::string::npos) << response.body;

  gateway_server.Stop();
  gateway_thread.join();
  spdlog::set_level(spdlog::level::warn);
}

// A socket listening on a loopback port; throws when there is none to be had.
int ListenOnLoopback(std::uint16_t& port) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  auto* raw = reinterpret_cast<sockaddr*>(&address);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
  if (::bind(listener, raw, length) != 0 || ::listen(listener, 64) != 0 ||
      ::getsockname(listener, raw, &length) != 0) {
    ::close(listener);
    throw std::runtime_error("cannot listen on loopback");
  }
  port = ntohs(address.sin_port);
  return listener;
}

// One replica on a raw socket that takes its first request and dies holding it: the connection is
// reset with no answer, as when the service is killed with kill -9. Afterwards it is either gone (no
// longer listening: a new connection is refused), back (it answers the next request 200), or still
// dying (the next connection, which the kernel put in the dying process's listen backlog, is reset
// too: seen live, a few milliseconds of each kill -9 of orders under load).
class ReplicaThatDiesHoldingARequest {
 public:
  enum class Afterwards { kGone, kBack, kStillDying };

  explicit ReplicaThatDiesHoldingARequest(Afterwards afterwards) : listener_(ListenOnLoopback(port_)) {
    thread_ = std::thread([this, afterwards] { Serve(afterwards); });
  }
  ~ReplicaThatDiesHoldingARequest() {
    stop_ = true;
    thread_.join();
    if (listener_ >= 0) ::close(listener_);
  }
  ReplicaThatDiesHoldingARequest(const ReplicaThatDiesHoldingARequest&) = delete;
  ReplicaThatDiesHoldingARequest& operator=(const ReplicaThatDiesHoldingARequest&) = delete;

  std::uint16_t Port() const { return port_; }
  int RequestsSeen() const { return requests_; }

 private:
  void Serve(Afterwards afterwards) {
    int connection = AcceptRequest();
    if (connection < 0) return;
    if (afterwards == Afterwards::kGone) {
      // Closed before the reset, so the gateway's next connect is refused for sure.
      ::close(listener_);
      listener_ = -1;
    }
    Reset(connection);
    if (afterwards == Afterwards::kGone) return;
    connection = AcceptRequest();
    if (connection < 0) return;
    if (afterwards == Afterwards::kStillDying) {
      Reset(connection);
      return;
    }
    constexpr std::string_view kOk =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: "
        "close\r\n\r\n{}";
    EXPECT_EQ(::write(connection, kOk.data(), kOk.size()), static_cast<ssize_t>(kOk.size()));
    ::close(connection);
  }

  // Closes `connection` with a reset (RST), as the kernel does for a killed process's sockets.
  static void Reset(int connection) {
    const linger reset{.l_onoff = 1, .l_linger = 0};
    ::setsockopt(connection, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(connection);
  }

  // The next connection once its request's head has arrived; -1 when the test ends first.
  int AcceptRequest() {
    pollfd waiting{.fd = listener_, .events = POLLIN, .revents = 0};
    while (!stop_) {
      if (::poll(&waiting, 1, 20) != 1) continue;
      const int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) return -1;
      // Bounded: a gateway that connects and sends nothing must fail the test, not hang it.
      const timeval limit{.tv_sec = 5, .tv_usec = 0};
      ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      std::string received;
      std::array<char, 4096> chunk{};
      while (received.find("\r\n\r\n") == std::string::npos) {
        const auto n = ::read(connection, chunk.data(), chunk.size());
        if (n <= 0) break;
        received.append(chunk.data(), static_cast<std::size_t>(n));
      }
      if (received.find("\r\n\r\n") != std::string::npos) ++requests_;
      return connection;
    }
    return -1;
  }

  std::uint16_t port_ = 0;  // before listener_, whose initialiser sets it
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// A replica frozen with its sockets open (kill -STOP): its kernel completes the connections into the
// listen backlog and takes the requests, and nothing ever answers.
class FrozenReplica {
 public:
  FrozenReplica() : listener_(ListenOnLoopback(port_)) {}
  ~FrozenReplica() { ::close(listener_); }
  FrozenReplica(const FrozenReplica&) = delete;
  FrozenReplica& operator=(const FrozenReplica&) = delete;
  std::uint16_t Port() const { return port_; }

 private:
  std::uint16_t port_ = 0;  // before listener_, whose initialiser sets it
  int listener_;
};

// The orders upstream on these loopback ports.
UpstreamOptions OrdersOn(std::initializer_list<std::uint16_t> ports) {
  UpstreamOptions options;
  options.name = "orders";
  for (const auto port : ports) options.addresses.push_back("127.0.0.1:" + std::to_string(port));
  return options;
}

// A gateway forwarding GET and POST /api/orders to the replicas of `options` (by default `replica`
// alone).
struct GatewayBefore {
  explicit GatewayBefore(std::uint16_t replica_port) : GatewayBefore(OrdersOn({replica_port})) {}
  explicit GatewayBefore(UpstreamOptions options) : upstream(std::move(options)) {
    for (const char* method : {"GET", "POST"}) {
      router.AddAsync(method, "/api/orders",
                      [this](http::Request& request) -> boost::asio::awaitable<http::Response> {
                        auto response = co_await upstream.Forward(request, {});
                        const std::lock_guard lock(mutex);
                        reasons.emplace_back(response.reason);
                        co_return response;
                      });
    }
    server.emplace(router, http::ServerOptions{});
  }
  ~GatewayBefore() {
    server->Stop();
    upstream.CloseIdleConnections();
  }
  GatewayBefore(const GatewayBefore&) = delete;
  GatewayBefore& operator=(const GatewayBefore&) = delete;

  // The reason of each answer, for the gateway's access line (never sent), in the order they came.
  std::vector<std::string> Reasons() {
    const std::lock_guard lock(mutex);
    return reasons;
  }

  Upstream upstream;
  http::Router router;
  std::optional<http::LoopbackServer> server;
  std::mutex mutex;
  std::vector<std::string> reasons;
};

// The only replica was killed holding a read: it never answered, and a read is safe to repeat, so
// the gateway asks again on a new connection. Refused there, the service is down: 503 with
// Retry-After (come back shortly), not a 502 that says the gateway failed.
TEST(ProxyFailure, AReadTheOnlyReplicaDiedHoldingIsUnavailableWithRetryAfter) {
  spdlog::set_level(spdlog::level::off);
  ReplicaThatDiesHoldingARequest replica(ReplicaThatDiesHoldingARequest::Afterwards::kGone);
  GatewayBefore gateway(replica.Port());
  const auto response = http::Fetch("127.0.0.1", gateway.server->Port(), "GET", "/api/orders", {}, {}, 5s);
  EXPECT_EQ(response.status, 503) << response.body;
  EXPECT_EQ(response.Header("Retry-After"), "1");
  EXPECT_EQ(replica.RequestsSeen(), 1);
  EXPECT_EQ(gateway.Reasons(), std::vector<std::string>{"upstream_connect"}) << "the repeat was refused";
  spdlog::set_level(spdlog::level::warn);
}

// Back already (a supervisor restarted it): the repeated read gets the answer.
TEST(ProxyFailure, AReadTheOnlyReplicaDiedHoldingIsAnsweredOnceItIsBack) {
  spdlog::set_level(spdlog::level::off);
  ReplicaThatDiesHoldingARequest replica(ReplicaThatDiesHoldingARequest::Afterwards::kBack);
  GatewayBefore gateway(replica.Port());
  const auto response = http::Fetch("127.0.0.1", gateway.server->Port(), "GET", "/api/orders", {}, {}, 5s);
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(replica.RequestsSeen(), 2);
  spdlog::set_level(spdlog::level::warn);
}

// A write without an Idempotency-Key may have been applied before the replica died: it is never
// sent again, even to a replica that is back, and the client is told the outcome is unknown (502).
TEST(ProxyFailure, AnUnkeyedWriteTheOnlyReplicaDiedHoldingIsNotRepeated) {
  spdlog::set_level(spdlog::level::off);
  ReplicaThatDiesHoldingARequest replica(ReplicaThatDiesHoldingARequest::Afterwards::kBack);
  GatewayBefore gateway(replica.Port());
  const auto response = http::Fetch("127.0.0.1", gateway.server->Port(), "POST", "/api/orders",
                                    {{"Content-Type", "application/json"}}, "{}", 5s);
  EXPECT_EQ(response.status, 502) << response.body;
  EXPECT_NE(response.body.find("may have been applied"), std::string::npos) << response.body;
  EXPECT_FALSE(response.Header("Retry-After")) << "a Retry-After invites a blind repeat";
  EXPECT_EQ(replica.RequestsSeen(), 1);
  EXPECT_EQ(gateway.Reasons(), std::vector<std::string>{"upstream_transport"});
  spdlog::set_level(spdlog::level::warn);
}

// With a key, the service's idempotency store makes a second attempt safe: it goes again.
TEST(ProxyFailure, AKeyedWriteTheOnlyReplicaDiedHoldingGoesAgain) {
  spdlog::set_level(spdlog::level::off);
  ReplicaThatDiesHoldingARequest replica(ReplicaThatDiesHoldingARequest::Afterwards::kBack);
  GatewayBefore gateway(replica.Port());
  const auto response =
      http::Fetch("127.0.0.1", gateway.server->Port(), "POST", "/api/orders",
                  {{"Content-Type", "application/json"}, {"Idempotency-Key", "k-1"}}, "{}", 5s);
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(replica.RequestsSeen(), 2);
  spdlog::set_level(spdlog::level::warn);
}

// The repeat's connection was reset too (the replica was still dying). A keyed write is safe to repeat
// and may have been applied: 503 with Retry-After, telling the client to send it again with the same
// key; a read is simply unavailable. Neither is a 502, which would say the outcome is unknown and
// the request not to be repeated.
TEST(ProxyFailure, AKeyedWriteOrReadWhoseRepeatWasResetTooIsUnavailableWithRetryAfter) {
  spdlog::set_level(spdlog::level::off);
  for (const bool write : {true, false}) {
    ReplicaThatDiesHoldingARequest replica(ReplicaThatDiesHoldingARequest::Afterwards::kStillDying);
    GatewayBefore gateway(replica.Port());
    const auto response =
        write ? http::Fetch("127.0.0.1", gateway.server->Port(), "POST", "/api/orders",
                            {{"Content-Type", "application/json"}, {"Idempotency-Key", "k-2"}}, "{}", 5s)
              : http::Fetch("127.0.0.1", gateway.server->Port(), "GET", "/api/orders", {}, {}, 5s);
    EXPECT_EQ(response.status, 503) << response.body;
    EXPECT_EQ(response.Header("Retry-After"), "1");
    if (write) {
      EXPECT_NE(response.body.find("same Idempotency-Key"), std::string::npos) << response.body;
    }
    EXPECT_EQ(replica.RequestsSeen(), 2);
    EXPECT_EQ(gateway.Reasons(), std::vector<std::string>{"upstream_transport"});
  }
  spdlog::set_level(spdlog::level::warn);
}

// A frozen replica holds what it was sent until the response timeout. Once it has answered none of
// it for the stall bound, one request at a time still goes (the probe, held too) and the others are
// not queued behind: 503 with Retry-After at once.
TEST(ProxyFailure, RequestsForTheOnlyReplicaWhileItIsStalledAreRefusedAtOnceButOneProbe) {
  spdlog::set_level(spdlog::level::off);
  FrozenReplica frozen;
  auto options = OrdersOn({frozen.Port()});
  options.response_timeout = 4s;
  options.stall = 300ms;
  GatewayBefore gateway(std::move(options));
  const auto port = gateway.server->Port();
  auto held = std::async(std::launch::async, [port] {
    return http::Fetch("127.0.0.1", port, "POST", "/api/orders", {{"Content-Type", "application/json"}}, "{}",
                       10s);
  });
  std::this_thread::sleep_for(1s);  // the stall bound passes, with the first request held

  struct Answer {
    int status;
    bool retry_after_1;
    std::chrono::steady_clock::duration took;
  };
  std::vector<std::future<Answer>> later;
  for (int i = 0; i < 3; ++i) {
    later.push_back(std::async(std::launch::async, [port] {
      const auto asked = std::chrono::steady_clock::now();
      const auto response = http::Fetch("127.0.0.1", port, "GET", "/api/orders", {}, {}, 10s);
      return Answer{response.status, response.Header("Retry-After") == "1",
                    std::chrono::steady_clock::now() - asked};
    }));
  }
  int refused_at_once = 0;
  int probes = 0;
  for (auto& answer : later) {
    const auto got = answer.get();
    if (got.status == 503 && got.took < 1s && got.retry_after_1) ++refused_at_once;
    if (got.status == 504) ++probes;
  }
  EXPECT_EQ(refused_at_once, 2);
  EXPECT_EQ(probes, 1) << "one request went as the probe, and the frozen replica held it too";
  const auto timed_out = held.get();
  EXPECT_EQ(timed_out.status, 504) << timed_out.body;
  EXPECT_NE(timed_out.body.find("may have been applied"), std::string::npos) << timed_out.body;
  auto reasons = gateway.Reasons();
  std::sort(reasons.begin(), reasons.end());
  EXPECT_EQ(reasons, (std::vector<std::string>{"upstream_stalled", "upstream_stalled", "upstream_timeout",
                                               "upstream_timeout"}))
      << "two refused at once, the held request and the probe timed out";
  spdlog::set_level(spdlog::level::warn);
}

// With another replica, what the stalled one would have been sent goes there instead.
TEST(ProxyFailure, RequestsGoToTheOtherReplicasWhileOneIsStalled) {
  spdlog::set_level(spdlog::level::off);
  FrozenReplica frozen;
  http::Router router;
  router.Add("GET", "/api/orders", [](const http::Request&) { return http::JsonResponse(200, "{}"); });
  const http::LoopbackServer healthy(router, http::ServerOptions{});
  auto options = OrdersOn({frozen.Port(), healthy.Port()});  // round robin starts with the frozen one
  options.response_timeout = 4s;
  options.stall = 300ms;
  GatewayBefore gateway(std::move(options));
  const auto port = gateway.server->Port();
  auto held = std::async(std::launch::async, [port] {
    return http::Fetch("127.0.0.1", port, "GET", "/api/orders", {}, {}, 10s);
  });
  std::this_thread::sleep_for(1s);  // the stall bound passes, with the first request held

  for (int i = 0; i < 4; ++i) {
    const auto asked = std::chrono::steady_clock::now();
    EXPECT_EQ(http::Fetch("127.0.0.1", port, "GET", "/api/orders", {}, {}, 10s).status, 200) << i;
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s)
        << "request " << i << " went to the stalled replica";
  }
  EXPECT_EQ(held.get().status, 200) << "a read the stalled replica timed out on is asked elsewhere";
  spdlog::set_level(spdlog::level::warn);
}

}  // namespace
}  // namespace kpo::gateway
