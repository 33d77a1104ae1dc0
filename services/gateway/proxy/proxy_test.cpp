// The proxy between two real servers on loopback: a stream's events pass as they come and a client
// that goes away releases the upstream stream too; a pooled connection the upstream closed is not
// reused for a POST, and a burst's connections are all kept for the next; "Expect: 100-continue" is
// answered by the gateway. Waits are bounded and wait for the event itself. (Upstream failures:
// proxy_failure_test.cpp.)
#include "gateway/proxy/proxy.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "http/client.hpp"
#include "http/loopback_server.hpp"
#include "http/raw_client.hpp"
#include "http/server.hpp"
#include "http/stream.hpp"
#include "observability/metrics.hpp"

namespace kpo::gateway {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kEventsRequest = "GET /api/events HTTP/1.1\r\nHost: t\r\n\r\n";

// An upstream server whose GET /api/events streams (first event "data: hello"), and a gateway
// server that forwards GET /api/events to it through an Upstream.
class ProxiedStream : public ::testing::Test {
 protected:
  void SetUp() override {
    // spdlog's registry is built on first use; built here, the two servers' threads do not race to
    // build it (a report ThreadSanitizer makes, the library being uninstrumented).
    spdlog::set_level(spdlog::level::warn);
    upstream_router_.Add("GET", "/api/events", [this](http::Request&) {
      http::Response response;
      response.headers.emplace_back("Content-Type", "text/event-stream");
      response.stream = std::make_shared<http::EventStream>();
      response.stream->Push("data: hello\n\n");
      {
        std::lock_guard lock(mutex_);
        stream_ = response.stream;
      }
      published_.notify_all();
      return response;
    });
    upstream_server_ = StartServer(upstream_router_, upstream_thread_);
    upstream_ = std::make_unique<Upstream>(UpstreamOptions{
        .name = "test", .addresses = {upstream_host_ + ":" + std::to_string(upstream_server_->Port())}});
    gateway_router_.AddAsync("GET", "/api/events",
                             [this](http::Request& request) { return upstream_->Forward(request, {}); });
    gateway_server_ = StartServer(gateway_router_, gateway_thread_);
  }

  void TearDown() override {
    gateway_server_->Stop();
    gateway_thread_.join();
    upstream_->CloseIdleConnections();
    upstream_server_->Stop();
    upstream_thread_.join();
  }

  static std::unique_ptr<http::Server> StartServer(const http::Router& router, std::thread& thread) {
    http::ServerOptions options;
    options.host = "127.0.0.1";
    auto server = std::make_unique<http::Server>(options, router);
    server->Listen();
    thread = std::thread([raw = server.get()] { raw->Run(false); });
    return server;
  }

  // The upstream's side of the stream, once its handler ran (null after 5 s).
  std::shared_ptr<http::EventStream> UpstreamStream() {
    std::unique_lock lock(mutex_);
    published_.wait_for(lock, 5s, [&] { return stream_ != nullptr; });
    return stream_;
  }

  std::unique_ptr<http::RawClient> OpenStream() {
    auto client = std::make_unique<http::RawClient>(gateway_server_->Port());
    client->Send(kEventsRequest);
    EXPECT_NE(client->ReadUntil("data: hello\n\n").find("data: hello\n\n"), std::string::npos);
    return client;
  }

  std::string upstream_host_ = "127.0.0.1";
  http::Router upstream_router_;
  http::Router gateway_router_;
  std::unique_ptr<http::Server> upstream_server_;
  std::unique_ptr<http::Server> gateway_server_;
  std::unique_ptr<Upstream> upstream_;
  std::thread upstream_thread_;
  std::thread gateway_thread_;
  std::mutex mutex_;
  std::condition_variable published_;
  std::shared_ptr<http::EventStream> stream_;
};

// In compose and Kubernetes an upstream is a name ("orders:5001"), not an address. "LOCALHOST" is
// such a name (the resolver's hosts file, case-insensitively) without depending on this machine's DNS.
class ProxiedStreamByName : public ProxiedStream {
 protected:
  ProxiedStreamByName() { upstream_host_ = "LOCALHOST"; }
};

TEST_F(ProxiedStreamByName, AnUpstreamNamedByAHostNameIsLookedUpAndReached) {
  auto client = OpenStream();
  ASSERT_TRUE(UpstreamStream());
}

TEST_F(ProxiedStream, EventsPassAsTheyComeAndTheEndFollows) {
  auto client = OpenStream();
  auto stream = UpstreamStream();
  ASSERT_TRUE(stream);
  // One at a time: each arrives while the relay waits with no read buffer.
  for (int i = 0; i < 3; ++i) {
    const auto event = "data: " + std::to_string(i) + "\n\n";
    ASSERT_TRUE(stream->Push(event));
    EXPECT_NE(client->ReadUntil(event).find(event), std::string::npos) << event;
  }
  stream->Close();
  const auto& received = client->ReadUntil("\r\n0\r\n\r\n");
  EXPECT_TRUE(received.ends_with("\r\n0\r\n\r\n")) << received;
}

TEST_F(ProxiedStream, AClientThatGoesAwayReleasesTheUpstreamStreamWithinTwoSeconds) {
  auto client = OpenStream();
  auto stream = UpstreamStream();
  ASSERT_TRUE(stream);
  auto abandoned = std::make_shared<std::promise<void>>();
  const auto started = std::chrono::steady_clock::now();
  client->Close();
  // Nothing is pushed from here on: the upstream learns of it only through the gateway closing its
  // connection.
  stream->OnAbandon([abandoned] { abandoned->set_value(); });
  EXPECT_EQ(abandoned->get_future().wait_for(5s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

// POST /api/orders answered by `answer` on an upstream server, and a gateway server forwarding it
// there through an Upstream; both on loopback until this goes.
class GatewayInFront {
 public:
  explicit GatewayInFront(http::Handler answer, const http::ServerOptions& upstream_options = {},
                          const http::ServerOptions& gateway_options = {}) {
    upstream_router_.Add("POST", "/api/orders", std::move(answer));
    upstream_server_.emplace(upstream_router_, upstream_options);
    upstream_.emplace(UpstreamOptions{
        .name = "test", .addresses = {"127.0.0.1:" + std::to_string(upstream_server_->Port())}});
    gateway_router_.AddAsync("POST", "/api/orders",
                             [this](http::Request& request) { return upstream_->Forward(request, {}); });
    gateway_server_.emplace(gateway_router_, gateway_options);
  }
  ~GatewayInFront() {
    // The gateway stops first (it forwards to the upstream); its pooled connections close while the
    // event loops their sockets belong to still exist.
    gateway_server_->Stop();
    upstream_->CloseIdleConnections();
  }
  GatewayInFront(const GatewayInFront&) = delete;
  GatewayInFront& operator=(const GatewayInFront&) = delete;
  std::uint16_t Port() const { return gateway_server_->Port(); }

 private:
  http::Router upstream_router_;
  std::optional<http::LoopbackServer> upstream_server_;
  std::optional<Upstream> upstream_;
  http::Router gateway_router_;
  std::optional<http::LoopbackServer> gateway_server_;
};

// A replica closes keep-alive connections that idle past its idle timeout (and all of them when it
// shuts down, as in a rolling restart). A POST without an Idempotency-Key cannot be retried once
// written, so the proxy must not write it to a pooled connection the replica already closed.
TEST(ProxyPool, AConnectionTheUpstreamClosedWhileIdleIsNotReusedForAPost) {
  spdlog::set_level(spdlog::level::warn);
  http::ServerOptions upstream_options;
  upstream_options.idle_timeout = 100ms;
  http::ServerOptions gateway_options;
  gateway_options.threads = 1;  // one loop, one pool: the second POST finds the first one's connection
  GatewayInFront gateway([](http::Request&) { return http::JsonResponse(201, "{}"); }, upstream_options,
                         gateway_options);
  const http::Headers json{{"Content-Type", "application/json"}};
  const auto post = [&] {
    return http::Fetch("127.0.0.1", gateway.Port(), "POST", "/api/orders", json, "{}");
  };
  EXPECT_EQ(post().status, 201);
  // Longer than the upstream's idle timeout: the pooled connection is closed by the upstream now.
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(post().status, 201) << "the POST went to a connection the upstream had closed";
}

// Under load the gateway has as many requests at a replica at once as the replica is slow: the
// connections of such a burst are all kept for the next one. When the pool kept 64 a loop, an
// overload closed and reopened ~220 connections to orders a second.
TEST(ProxyPool, TheConnectionsOfABurstAreKeptForTheNextBurst) {
  spdlog::set_level(spdlog::level::warn);
  constexpr int kBurst = 80;  // more at once than the old pool's 64
  std::mutex mutex;
  std::condition_variable all_arrived;
  int arrived = 0;
  http::ServerOptions upstream_options;
  upstream_options.workers = kBurst;
  http::ServerOptions gateway_options;
  gateway_options.threads = 1;  // one loop, one pool
  // Each request is answered only once the whole burst is in, so the burst needs kBurst connections.
  GatewayInFront gateway(
      [&](http::Request&) {
        std::unique_lock lock(mutex);
        const int burst = (++arrived + kBurst - 1) / kBurst;  // the first kBurst are burst 1
        all_arrived.notify_all();
        all_arrived.wait_for(lock, 10s, [&] { return arrived >= burst * kBurst; });
        return http::JsonResponse(201, "{}");
      },
      upstream_options, gateway_options);
  const auto& opened = observability::Registry::Global().GetCounter(
      "gateway_upstream_connections_opened_total", "", R"(upstream="test")");
  const auto burst = [&] {
    std::vector<std::future<int>> answers;
    for (int i = 0; i < kBurst; ++i) {
      answers.push_back(std::async(std::launch::async, [&] {
        return http::Fetch("127.0.0.1", gateway.Port(), "POST", "/api/orders",
                           {{"Content-Type", "application/json"}}, "{}")
            .status;
      }));
    }
    int created = 0;
    for (auto& answer : answers) created += answer.get() == 201 ? 1 : 0;
    return created;
  };
  const auto before = opened.Value();
  ASSERT_EQ(burst(), kBurst);
  const auto after_first = opened.Value();
  EXPECT_EQ(after_first - before, static_cast<std::uint64_t>(kBurst));
  ASSERT_EQ(burst(), kBurst);
  EXPECT_EQ(opened.Value(), after_first) << "the second burst opened connections the first had left";
}

// The gateway answers a client's "Expect: 100-continue" itself and does not pass it on: the service
// would send its own interim 100, which the proxy would take for the final answer.
TEST(ProxyExpect, TheGatewayAnswersExpectContinueAndForwardsTheBodyWithoutIt) {
  spdlog::set_level(spdlog::level::warn);
  GatewayInFront gateway([](http::Request& request) {
    return http::JsonResponse(201, request.Header("Expect") ? R"("expect")" : R"("none")");
  });
  http::RawClient client(gateway.Port());
  client.Send(
      "POST /api/orders HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
      "Content-Length: 2\r\n\r\n");
  EXPECT_EQ(client.ReadUntil("\r\n\r\n", 2s), "HTTP/1.1 100 Continue\r\n\r\n");
  client.Send("{}");
  const auto& answer = client.ReadUntil("\"none\"", 3s);
  EXPECT_NE(answer.find("\r\n\r\nHTTP/1.1 201 "), std::string::npos) << answer;
  EXPECT_NE(answer.find("\"none\""), std::string::npos) << answer;
}

}  // namespace
}  // namespace kpo::gateway
