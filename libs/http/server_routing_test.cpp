// What the server answers before any handler runs: chunked framing that never ends, and the order
// of its refusals (no such route or method before the body's media type).
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <string>
#include <thread>

#include "http/client.hpp"
#include "http/loopback_server.hpp"
#include "http/problem.hpp"
#include "http/raw_client.hpp"
#include "http/server.hpp"

namespace kpo::http {
namespace {

class ServerBeforeHandlers : public ::testing::Test {
 protected:
  ServerBeforeHandlers() {
    router_.Add("POST", "/echo", [](Request& r) { return JsonResponse(200, r.body); });
    ServerOptions options;
    options.read_timeout = std::chrono::milliseconds(500);
    server_ = std::make_unique<LoopbackServer>(router_, options);
  }
  Router router_;
  std::unique_ptr<LoopbackServer> server_;
};

// Chunked framing the parser must hold whole before it can consume any of it (a size line and
// its extensions, the trailer section) is bounded by the read buffer: a client that never ends
// one gets a 400 at once instead of a buffer that grows with every byte until the read deadline
// (500 ms here) closes the connection without an answer.
TEST_F(ServerBeforeHandlers, AnEndlessChunkSizeLineOrTrailerIs400) {
  namespace asio = boost::asio;
  const std::string head =
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: "
      "chunked\r\n\r\n";
  const std::string endless(1U << 20U, 'e');
  // Just over the head limit (8 KiB), and then nothing more: within the read buffer's own bound.
  const std::string over_the_head_limit(9000, 'e');
  for (const std::string& framing :
       {"c;" + endless, "2\r\n{}\r\n0\r\nX-Trailer: " + endless, "c;" + over_the_head_limit,
        "2\r\n{}\r\n0\r\nX-Trailer: " + over_the_head_limit}) {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), server_->Port()});
    asio::write(socket, std::array{asio::buffer(head), asio::buffer(framing)});
    std::string answer;
    boost::system::error_code ec;
    asio::read(socket, asio::dynamic_buffer(answer), ec);
    EXPECT_EQ(ec, asio::error::eof);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 ")) << framing.substr(0, 20) << ": " << answer.substr(0, 40);
    EXPECT_NE(answer.find("too long"), std::string::npos) << answer;
  }
}

// Chunked framing whose lines end in a bare LF is malformed (RFC 9112 §7.1 wants CRLF). The parser
// looks for CRLF alone, so it waited for the rest of lines that had ended, and the client got no
// answer until the read deadline closed the connection. Valid framing split anywhere still passes.
TEST_F(ServerBeforeHandlers, ChunkedFramingWithBareLineFeedsIs400AtOnce) {
  const std::string head =
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: "
      "chunked\r\n\r\n";
  for (const bool apart : {false, true}) {
    for (const std::string_view framing :
         {"2\n{}\n0\n\n", "2\r\n{}\n0\r\n\r\n", "2\r\n{}\r\n0\r\nX-T: 1\n\r\n"}) {
      RawClient client(server_->Port());
      client.Send(apart ? head : head + std::string(framing));
      if (apart) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the body in a read of its own
        client.Send(framing);
      }
      const auto& answer =
          client.ReadUntil("\r\n\r\n", std::chrono::milliseconds(400));  // under the deadline
      EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 "))
          << framing << (apart ? " apart" : "") << ": " << answer;
    }
  }
  RawClient client(server_->Port());
  for (const std::string& piece :
       {head + "2\r", std::string("\n{"), std::string("}\r"), std::string("\n0\r\n\r"), std::string("\n")}) {
    client.Send(piece);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(20));  // each piece its own read, not a synchronisation
  }
  EXPECT_TRUE(client.ReadUntil("{}").starts_with("HTTP/1.1 200 "));
}

TEST_F(ServerBeforeHandlers, AnUnknownRouteOrMethodIs404Or405WhateverTheBody) {
  const Headers text{{"Content-Type", "text/plain"}};
  EXPECT_EQ(Fetch("127.0.0.1", server_->Port(), "POST", "/nowhere", text, "x").status, 404);
  const auto wrong_method = Fetch("127.0.0.1", server_->Port(), "PUT", "/echo", text, "x");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.Header("Allow").value_or(""), "POST");
}

// The gateway's kind of router: an unknown path goes to a not-found handler (which answers 401 to
// a caller without a token), and that answer too comes before the body's media type is judged.
TEST(ServerNotFound, TheNotFoundHandlersAnswerComesBeforeTheMediaTypeCheck) {
  Router router;
  router.Add("POST", "/echo", [](Request& r) { return JsonResponse(200, r.body); });
  router.SetNotFound([](Request&) { return ProblemResponse(401, "Sign in first"); });
  LoopbackServer server(router, ServerOptions{});
  const Headers text{{"Content-Type", "text/plain"}};
  EXPECT_EQ(Fetch("127.0.0.1", server.Port(), "POST", "/nowhere", text, "x").status, 401);
  EXPECT_EQ(Fetch("127.0.0.1", server.Port(), "POST", "/echo", text, "x").status, 415);
}

}  // namespace
}  // namespace kpo::http
