// Keep-alive connections: the read deadline of a later request, and empty lines between requests.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "http/loopback_server.hpp"
#include "http/raw_client.hpp"
#include "http/server.hpp"

namespace kpo::http {
namespace {

class KeepAliveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("POST", "/echo", [](Request& r) { return JsonResponse(200, r.body); });
    ServerOptions options;
    options.threads = 2;
    options.read_timeout = std::chrono::milliseconds(500);
    server_ = std::make_unique<LoopbackServer>(router_, options);
  }

  Router router_;
  std::unique_ptr<LoopbackServer> server_;
};

TEST_F(KeepAliveTest, ALaterRequestOnAKeptAliveConnectionHasTheReadTimeoutFromItsFirstByte) {
  // Idle past the read timeout (500 ms) but within the keep-alive idle timeout: the connection
  // stays, and the next request, trickled, is cut off 500 ms after it began, not after 30 s.
  RawClient client(server_->Port());
  const std::string request = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n";
  client.Send(request + "Content-Length: 2\r\n\r\n{}");
  EXPECT_TRUE(client.ReadUntil("{}", std::chrono::seconds(3)).starts_with("HTTP/1.1 200 "));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  client.Send(request + "Content-Length: 64\r\n\r\n");
  const auto began = std::chrono::steady_clock::now();
  std::string answer;
  while (answer.find("HTTP/1.1 408 ") == std::string::npos &&
         std::chrono::steady_clock::now() - began < std::chrono::seconds(5)) {
    client.Send(" ");
    answer = client.ReadUntil("HTTP/1.1 408 ", std::chrono::milliseconds(100));
  }
  EXPECT_NE(answer.find("HTTP/1.1 408 "), std::string::npos) << answer;
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(2));
}

// RFC 9112 §2.2: an empty line before a request line (a stray CRLF after a body) is skipped.
TEST_F(KeepAliveTest, EmptyLinesBeforeARequestLineAreSkipped) {
  RawClient client(server_->Port());
  client.Send(
      "\r\nPOST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
      "\r\n\r\nPOST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Content-Length: 7\r\n\r\n{\"a\":1}");
  const auto answers = client.ReadUntil("{\"a\":1}", std::chrono::seconds(3));
  EXPECT_TRUE(answers.starts_with("HTTP/1.1 200 ")) << answers;
  EXPECT_NE(answers.find("HTTP/1.1 200 ", 1), std::string::npos) << "the second request too:\n" << answers;
}

// An empty line after an answered request is not the next request's start: the connection idles on
// for the keep-alive timeout, not only for the read timeout (500 ms here).
TEST_F(KeepAliveTest, AnEmptyLineAfterARequestKeepsTheIdleTimeout) {
  RawClient client(server_->Port());
  const std::string request =
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
  client.Send(request + "\r\n");
  EXPECT_TRUE(client.ReadUntil("{}", std::chrono::seconds(3)).starts_with("HTTP/1.1 200 "));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  client.Send("\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  client.Send(request);
  // Everything received so far: the first answer, then the second.
  const auto& received = client.ReadUntil("{}HTTP/1.1 200 ", std::chrono::seconds(3));
  EXPECT_NE(received.find("HTTP/1.1 200 ", 1), std::string::npos) << "closed while idle: " << received;
}

}  // namespace
}  // namespace kpo::http
