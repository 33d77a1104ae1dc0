// The server's streamed answers (an event stream): chunked or, for HTTP/1.0, until the close; a
// HEAD request's; and handlers that run on the I/O threads.
#include <gtest/gtest.h>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "core/thread_priority.hpp"
#include "http/client.hpp"
#include "http/loopback_server.hpp"
#include "http/raw_client.hpp"
#include "http/server.hpp"
#include "http/stream.hpp"
#include "observability/metrics.hpp"

namespace kpo::http {
namespace {

// Serves GET /stream with an event stream that `produce` fills from its own thread (and must
// close), and returns what a client received.
ClientResponse FetchStream(const std::function<void(EventStream&)>& produce, ServerOptions options = {}) {
  Router router;
  router.Add("GET", "/stream", [produce](Request&) {
    Response response;
    response.headers.emplace_back("Content-Type", "text/event-stream");
    response.stream = std::make_shared<EventStream>();
    std::thread([stream = response.stream, produce] { produce(*stream); }).detach();
    return response;
  });
  LoopbackServer server(router, std::move(options));
  ClientResponse response;
  EXPECT_NO_THROW(response = Fetch("127.0.0.1", server.Port(), "GET", "/stream"));
  return response;
}

TEST(ServerStreaming, StreamsChunksUntilTheProducerCloses) {
  auto response = FetchStream([](EventStream& stream) {
    for (int i = 0; i < 3; ++i) stream.Push("data: " + std::to_string(i) + "\n\n");
    stream.Close();
  });
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "data: 0\n\ndata: 1\n\ndata: 2\n\n");
}

TEST(ServerStreaming, AQuietStreamOutlivesTheWriteDeadline) {
  ServerOptions options;
  options.write_timeout = std::chrono::milliseconds(200);
  auto response = FetchStream(
      [](EventStream& stream) {
        stream.Push("data: first\n\n");
        // Quiet for several write deadlines, as a stream between events is.
        std::this_thread::sleep_for(std::chrono::milliseconds(900));
        stream.Push("data: later\n\n");
        stream.Close();
      },
      options);
  EXPECT_EQ(response.body, "data: first\n\ndata: later\n\n");
}

// Raw exchanges with a server whose GET /stream pushes one event and ends when `close` (else when
// abandoned), and whose GET /nothing answers 204.
class RawStreaming : public ::testing::Test {
 protected:
  void Serve(bool close) {
    router_.Add("GET", "/stream", [this, close](Request&) {
      Response response;
      response.headers.emplace_back("Content-Type", "text/event-stream");
      response.stream = std::make_shared<EventStream>();
      response.stream->Push("data: a\n\n");
      if (close) response.stream->Close();
      response.stream->OnAbandon([this] { abandoned_.set_value(); });
      return response;
    });
    router_.Add("GET", "/nothing", [](Request&) {
      Response response;
      response.status = 204;
      return response;
    });
    server_ = std::make_unique<LoopbackServer>(router_, ServerOptions{});
  }
  std::string Exchange(std::string_view request, std::string_view enough) {
    return RawExchange(server_->Port(), request, enough);
  }

  Router router_;
  // Before the server: the server's threads, which may still fulfil it, are gone before it is.
  std::promise<void> abandoned_;
  std::unique_ptr<LoopbackServer> server_;
};

// A HEAD answer has no body (RFC 9110 §9.3.2): the stream is let go, and the connection goes on.
TEST_F(RawStreaming, AHeadRequestGetsTheStreamsHeadAloneAndLetsTheStreamGo) {
  Serve(false);
  const auto answer = Exchange(
      "HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\nGET /nothing HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 204");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n")) << answer;
  EXPECT_NE(answer.find("text/event-stream"), std::string::npos) << answer;
  EXPECT_NE(answer.find("\r\n\r\nHTTP/1.1 204"), std::string::npos) << "no body before the next answer:\n"
                                                                    << answer;
  EXPECT_EQ(abandoned_.get_future().wait_for(std::chrono::seconds(2)), std::future_status::ready);
}

// An HTTP/1.0 client knows no chunked coding (RFC 9112 §6.1): the body comes as it is and the
// connection's close ends it.
TEST_F(RawStreaming, AnHttp10ClientGetsTheStreamUnchunkedUntilTheClose) {
  Serve(true);
  const auto answer = Exchange("GET /stream HTTP/1.0\r\n\r\n", "\n\n\n\n");  // read until the close
  EXPECT_EQ(answer.find("Transfer-Encoding"), std::string::npos) << answer;
  EXPECT_TRUE(answer.ends_with("\r\n\r\ndata: a\n\n")) << answer;
}

// Whether `condition` holds within `timeout`, checked every few milliseconds: a server notes a
// connection's end on its own thread, after the client saw it.
template <typename Condition>
bool Eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// /metrics counts what is held open: a stream and its connection while it runs, neither after.
TEST(ServerStreaming, OpenConnectionsAndStreamsAreGaugedUntilTheyEnd) {
  auto& registry = observability::Registry::Global();
  auto& connections = registry.GetGauge("http_connections_open",
                                        "Client connections the HTTP servers hold open, streams included.");
  auto& streams = registry.GetGauge("http_streams_open",
                                    "Streamed responses (server-sent events) being written to clients.");
  const double connections_before = connections.Value();
  const double streams_before = streams.Value();
  std::promise<void> release;
  auto released = release.get_future().share();
  auto fetched = std::async(std::launch::async, [released] {
    return FetchStream([released](EventStream& stream) {
      stream.Push("data: open\n\n");
      released.wait();
      stream.Close();
    });
  });
  EXPECT_TRUE(Eventually([&] { return streams.Value() == streams_before + 1; })) << streams.Value();
  EXPECT_EQ(connections.Value(), connections_before + 1);
  release.set_value();
  EXPECT_EQ(fetched.get().body, "data: open\n\n");
  EXPECT_TRUE(Eventually([&] { return streams.Value() == streams_before; })) << streams.Value();
  EXPECT_TRUE(Eventually([&] { return connections.Value() == connections_before; })) << connections.Value();
}

TEST(ServerStreaming, AsyncHandlersRunOnTheIoThreads) {
  Router router;
  router.AddAsync("GET", "/async", [](Request& r) -> boost::asio::awaitable<Response> {
    co_return JsonResponse(200, "\"" + r.path + "\"");
  });
  router.AddAsync("POST", "/async",
                  [](Request&) -> boost::asio::awaitable<Response> { co_return JsonResponse(200, "{}"); });
  LoopbackServer server(router, ServerOptions{});
  EXPECT_EQ(Fetch("127.0.0.1", server.Port(), "GET", "/async").body, "\"/async\"");
  // An async handler (a proxy) judges bodies itself: it may have to answer 401 before any 415.
  EXPECT_EQ(Fetch("127.0.0.1", server.Port(), "POST", "/async", {{"Content-Type", "text/plain"}}, "x").status,
            200);
}

TEST(ServerStreaming, TheIoThreadsRunAtTheNiceValueGiven) {
  Router router;
  router.AddAsync("GET", "/nice", [](Request&) -> boost::asio::awaitable<Response> {
    co_return JsonResponse(200, std::to_string(core::ThisThreadNice()));
  });
  // A higher value than the test's own: anyone may lower a thread's priority.
  const int nice = core::ThisThreadNice() + 5;
  ServerOptions options;
  options.threads = 2;
  options.io_nice = nice;
  LoopbackServer server(router, options);
  // Each request on a connection of its own: connections are spread over both event loops.
  for (int request = 0; request < 4; ++request) {
    EXPECT_EQ(Fetch("127.0.0.1", server.Port(), "GET", "/nice").body, std::to_string(nice));
  }
  EXPECT_EQ(core::ThisThreadNice(), nice - 5) << "only the server's I/O threads change";
}

}  // namespace
}  // namespace kpo::http
