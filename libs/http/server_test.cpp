#include "http/server.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/log.hpp"
#include "http/client.hpp"
#include "http/loopback_server.hpp"
#include "http/problem.hpp"
#include "http/raw_client.hpp"
#include "observability/metrics.hpp"

namespace kpo::http {
namespace {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("POST", "/echo", [](Request& r) { return JsonResponse(200, r.body); });
    router_.Add("GET", "/boom", [](Request&) -> Response { throw std::runtime_error("boom"); });
    router_.Add("GET", "/invalid", [](Request&) -> Response {
      throw ProblemError(422, "nope", {{"x", "bad"}});
    });
    router_.Add("GET", "/slow", [](Request&) {
      // Work that outlasts the client read deadline (500 ms below).
      std::this_thread::sleep_for(std::chrono::milliseconds(1200));
      return JsonResponse(200, R"("done")");
    });
    router_.Add("GET", "/thread", [](Request&) {
      // The name of the thread the handler runs on, as ps and top show it.
      std::ifstream comm("/proc/thread-self/comm");
      std::string name;
      std::getline(comm, name);
      return JsonResponse(200, "\"" + name + "\"");
    });
    router_.Add("GET", "/nothing", [](Request&) {
      Response response;
      response.status = 204;
      return response;
    });
    router_.Add("GET", "/headers", [](Request&) {
      auto response = JsonResponse(200, "[1,2,3]");
      response.headers.emplace_back("Content-Length", "999");  // the server frames the body itself
      response.headers.emplace_back("X-Injected", "a\r\nSet-Cookie: stolen=1");
      response.headers.emplace_back("X-Fine", "yes");
      return response;
    });
    ServerOptions options;
    options.threads = 2;
    options.read_timeout = std::chrono::milliseconds(500);
    server_ = std::make_unique<LoopbackServer>(router_, options);
  }
  ClientResponse Call(const std::string& method, const std::string& target, const std::string& body = {},
                      const Headers& headers = {{"Content-Type", "application/json"}}) {
    return Fetch("127.0.0.1", server_->Port(), method, target, headers, body);
  }

  // Sends `request` as it is on a connection of its own and returns the status line of the answer.
  std::string StatusLineOf(const std::string& request) {
    const auto answer = RawExchange(server_->Port(), request, "\r\n");
    return answer.substr(0, answer.find("\r\n"));
  }

  Router router_;
  std::unique_ptr<LoopbackServer> server_;
};

TEST_F(ServerTest, EchoesJsonAndRequestId) {
  auto response =
      Call("POST", "/echo", R"({"a":1})", {{"Content-Type", "application/json"}, {"X-Request-Id", "r-1"}});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"a":1})");
  EXPECT_EQ(response.Header("X-Request-Id"), "r-1");
  EXPECT_TRUE(response.Header("traceparent"));
}

// top -H and perf tell the server's threads apart by name.
TEST_F(ServerTest, BlockingHandlersRunOnThreadsNamedHttpWorker) {
  auto response = Call("GET", "/thread");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"("http-worker")");
}

TEST_F(ServerTest, ContinuesTheCallersTrace) {
  const std::string parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  auto response = Call("GET", "/nowhere", {}, {{"traceparent", parent}});
  auto child = std::string(response.Header("traceparent").value_or(""));
  EXPECT_EQ(child.substr(0, 36), parent.substr(0, 36));
  EXPECT_NE(child, parent);
}

TEST_F(ServerTest, BodyOverLimitIs413) {
  auto response = Call("POST", "/echo", std::string(64 * 1024 + 1, 'x'),
                       {{"Content-Type", "application/json"}, {"X-Request-Id", "too-big-1"}});
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(MediaType(response.Header("Content-Type").value_or("")), "application/problem+json");
  EXPECT_EQ(response.Header("X-Request-Id"), "too-big-1");
  EXPECT_TRUE(response.Header("traceparent"));
}

observability::Counter& Served(const std::string& labels) {
  return observability::Registry::Global().GetCounter("http_requests_total", "HTTP requests served.", labels);
}

TEST_F(ServerTest, RequestsRefusedWhileBeingReadAreCountedToo) {
  auto& refused = Served(R"(method="POST",route="unread",status="413")");
  const auto before = refused.Value();
  EXPECT_EQ(
      Call("POST", "/echo", std::string(64 * 1024 + 1, 'x'), {{"Content-Type", "application/json"}}).status,
      413);
  EXPECT_EQ(refused.Value(), before + 1);
}

TEST_F(ServerTest, AMethodOfTheClientsOwnIsCountedAsOther) {
  for (const char* method : {"FOOBAR1", "FOOBAR2"}) EXPECT_GE(Call(method, "/echo").status, 400);
  const auto metrics = observability::Registry::Global().Render();
  EXPECT_EQ(metrics.find("FOOBAR"), std::string::npos) << "a client chose a series";
  EXPECT_NE(metrics.find(R"(http_requests_total{method="other")"), std::string::npos) << metrics;
}

TEST_F(ServerTest, AClientStillSendingAnOversizedBodyReadsThe413) {
  // As a proxy does: the whole body goes out before the answer is read. A server that closed
  // with the body unread would reset the connection and the answer would be lost.
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), server_->Port()});
  const std::string body(2U << 20U, 'x');
  const std::string head =
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n";
  asio::write(socket, std::array{asio::buffer(head), asio::buffer(body)});
  std::string answer;
  boost::system::error_code ec;
  asio::read(socket, asio::dynamic_buffer(answer), ec);
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413 ")) << answer.substr(0, 40);
}

TEST_F(ServerTest, ABodyTrickledPastTheReadDeadlineIsAnswered408) {
  // Each byte comes well within the deadline (500 ms here); the whole request does not. The
  // deadline is on the request, not on each read, and the client learns why it was cut off.
  RawClient client(server_->Port());
  client.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n");
  // A byte every 100 ms (the read is the pause) until an answer comes; 64 would take 6.4 s.
  for (int sent = 0; sent < 64 && client.ReadUntil("\r\n\r\n", std::chrono::milliseconds(100)).empty();
       ++sent) {
    client.Send(" ");
  }
  const auto& answer = client.ReadUntil("\r\n\r\n", std::chrono::seconds(3));
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 408 ")) << answer.substr(0, 60);
  EXPECT_NE(answer.find("application/problem+json"), std::string::npos) << answer;
}

TEST_F(ServerTest, AConnectionThatSendsNothingIsClosedWithoutAnAnswer) {
  RawClient client(server_->Port());
  const auto& answer = client.ReadUntil("\r\n", std::chrono::seconds(3));
  EXPECT_EQ(answer, "");
  EXPECT_TRUE(client.PeerClosed());
}

TEST_F(ServerTest, AnAmbiguouslyFramedRequestIs400AndTheConnectionCloses) {
  // Read by its Content-Length, the body below would end after "0\r\n\r\n" and the smuggled GET would
  // be served as a second request on the same connection.
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), server_->Port()});
  const std::string request =
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: xchunked\r\n"
      "Content-Length: 5\r\n\r\n0\r\n\r\nGET /boom HTTP/1.1\r\nHost: t\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  std::string answer;
  boost::system::error_code ec;
  asio::read(socket, asio::dynamic_buffer(answer), ec);
  EXPECT_EQ(ec, asio::error::eof) << "the server closes the connection";
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 ")) << answer.substr(0, 40);
  EXPECT_EQ(answer.find("HTTP/1.1", 1), std::string::npos) << "one answer only:\n" << answer;
}

// A request line or header block the parser refuses still gets an answer, never a silent close.
TEST_F(ServerTest, AMalformedRequestLineIsAnswered400) {
  for (const char* request :
       {"GET /nothing HTTP/1.2\r\nHost: t\r\n\r\n", "GET /nothing http/1.1\r\nHost: t\r\n\r\n",
        "GET /nothing HTTP/1.1\nHost: t\n\n", "GET  /nothing HTTP/1.1\r\nHost: t\r\n\r\n"}) {
    EXPECT_EQ(StatusLineOf(request), "HTTP/1.1 400 Bad Request") << request;
  }
}

TEST_F(ServerTest, AnHttp11RequestNeedsExactlyOneHost) {
  EXPECT_EQ(StatusLineOf("GET /nothing HTTP/1.1\r\n\r\n"), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(StatusLineOf("GET /nothing HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(StatusLineOf("GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n"), "HTTP/1.1 204 No Content");
  EXPECT_EQ(StatusLineOf("GET /nothing HTTP/1.0\r\n\r\n"), "HTTP/1.1 204 No Content")
      << "HTTP/1.0 has no Host";
}

// A client that waits for "100 Continue" before sending its body is told at once, and one whose
// body is too large hears so before sending it.
TEST_F(ServerTest, AClientThatExpectsContinueIsToldToGoOn) {
  const std::string head =
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n";
  RawClient client(server_->Port());
  client.Send(head + "Content-Length: 2\r\n\r\n");
  // Well within curl's one second of waiting.
  EXPECT_EQ(client.ReadUntil("\r\n\r\n", std::chrono::milliseconds(500)), "HTTP/1.1 100 Continue\r\n\r\n");
  client.Send("{}");
  const auto& answer = client.ReadUntil("{}");
  EXPECT_NE(answer.find("\r\n\r\nHTTP/1.1 200 OK\r\n"), std::string::npos) << answer;

  EXPECT_EQ(StatusLineOf(head + "Content-Length: 100000000\r\n\r\n"), "HTTP/1.1 413 Payload Too Large");
}

// A coded body would be read as if it were plain: it is refused instead of misread.
TEST_F(ServerTest, CodedBodiesAreRefused) {
  const std::string head = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n";
  EXPECT_EQ(StatusLineOf(head + "Content-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}"),
            "HTTP/1.1 415 Unsupported Media Type");
  EXPECT_EQ(StatusLineOf(head + "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"),
            "HTTP/1.1 501 Not Implemented");
  EXPECT_EQ(
      StatusLineOf(head +
                   "Content-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"),
      "HTTP/1.1 200 OK");
}

TEST_F(ServerTest, SlowHandlersAreNotCutOffByTheClientReadDeadline) {
  auto response = Call("GET", "/slow");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"("done")");
}

TEST_F(ServerTest, NonJsonBodyIs415) {
  EXPECT_EQ(Call("POST", "/echo", "a=b", {{"Content-Type", "application/x-www-form-urlencoded"}}).status,
            415);
  EXPECT_EQ(Call("POST", "/echo", "{}", {}).status, 415);
}

TEST_F(ServerTest, HandlerExceptionsBecomeProblems) {
  EXPECT_EQ(Call("GET", "/boom").status, 500);
  auto invalid = Call("GET", "/invalid");
  EXPECT_EQ(invalid.status, 422);
  EXPECT_NE(invalid.body.find(R"("errors":{"x":"bad"})"), std::string::npos);
  EXPECT_EQ(Call("POST", "/echo", "{}").status, 200);  // still serving
}

TEST_F(ServerTest, HugeHeadersAre431) {
  EXPECT_EQ(Call("GET", "/boom", {}, {{"X-Big", std::string(9000, 'a')}}).status, 431);
}

// The bound is on the whole head: fields that fit it one by one but not together are refused too,
// and a head just inside it is served.
TEST_F(ServerTest, TheHeaderLimitBoundsTheWholeHead) {
  const Headers three_parts{
      {"X-A", std::string(3000, 'a')}, {"X-B", std::string(3000, 'b')}, {"X-C", std::string(3000, 'c')}};
  EXPECT_EQ(Call("GET", "/boom", {}, three_parts).status, 431);
  const Headers inside{{"X-A", std::string(3000, 'a')}, {"X-B", std::string(3000, 'b')}};
  EXPECT_EQ(Call("GET", "/boom", {}, inside).status, 500);  // served; /boom throws
}

TEST_F(ServerTest, AnOverLongRequestLineIs414) {
  const auto response = Call("GET", "/boom?q=" + std::string(9000, 'a'));
  EXPECT_EQ(response.status, 414);
  EXPECT_NE(response.body.find("/problems/uri-too-long"), std::string::npos) << response.body;
  EXPECT_EQ(Call("GET", "/boom?q=" + std::string(100, 'a')).status, 500);  // still serving; /boom throws
}

TEST_F(ServerTest, TooManyHeadersAre431) {
  Headers many;
  for (int i = 0; i < 120; ++i) many.emplace_back("X-H" + std::to_string(i), "v");
  EXPECT_EQ(Call("GET", "/boom", {}, many).status, 431);
}

TEST_F(ServerTest, NoContentAnswersCarryNoLength) {
  auto response = Call("GET", "/nothing");
  EXPECT_EQ(response.status, 204);
  EXPECT_FALSE(response.Header("Content-Length"));
}

TEST_F(ServerTest, HandlerHeadersCannotBreakTheFraming) {
  auto response = Call("GET", "/headers");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "[1,2,3]");
  EXPECT_EQ(response.Header("Content-Length"), "7");
  EXPECT_FALSE(response.Header("X-Injected"));
  EXPECT_FALSE(response.Header("Set-Cookie"));
  EXPECT_EQ(response.Header("X-Fine"), "yes");
}

TEST_F(ServerTest, ConcurrentClientsAreServedOnEveryLoop) {
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < 25; ++i) ok += Call("POST", "/echo", "[1]").status == 200 ? 1 : 0;
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(ok.load(), 8 * 25);
}

// An operator follows a running replica at debug and back without restarting it: SIGUSR1 and SIGUSR2
// change the level while the server serves, and SIGTERM still drains and stops it.
TEST(ServerSignals, UsrSignalsChangeTheLogLevelWhileServingAndTermStillStops) {
  ASSERT_TRUE(core::InitLogging("server-test", "info"));
  Router router;
  router.Add("GET", "/ping", [](Request&) { return JsonResponse(200, "{}"); });
  ServerOptions options;
  options.host = "127.0.0.1";
  Server server(options, router);
  server.Listen();
  std::promise<void> stopped;
  std::thread serving([&server, &stopped] {
    server.Run(true);
    stopped.set_value();
  });
  // Run adds its signals before its loops run: once one answers, they are the server's.
  ASSERT_EQ(Fetch("127.0.0.1", server.Port(), "GET", "/ping", {}, {}).status, 200);
  const auto level_becomes = [](spdlog::level::level_enum level) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (spdlog::get_level() != level && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return spdlog::get_level() == level;
  };
  ::kill(::getpid(), SIGUSR1);
  EXPECT_TRUE(level_becomes(spdlog::level::debug));
  ::kill(::getpid(), SIGUSR1);
  EXPECT_TRUE(level_becomes(spdlog::level::trace));
  ::kill(::getpid(), SIGUSR2);
  EXPECT_TRUE(level_becomes(spdlog::level::info));
  EXPECT_EQ(Fetch("127.0.0.1", server.Port(), "GET", "/ping", {}, {}).status, 200) << "still serving";
  ::kill(::getpid(), SIGTERM);
  if (stopped.get_future().wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "SIGTERM did not stop the server";
    server.Stop();
  }
  serving.join();
}

}  // namespace
}  // namespace kpo::http
