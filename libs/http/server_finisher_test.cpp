// The router's finisher (Router::SetFinisher) completes every answer the server sends: a handler's,
// the router's own 404/405, and the refusals and errors the server makes itself, before or after
// the request could be read. A public port relies on it for headers every answer must carry
// (CORS, nosniff, no-store): an answer without them is one a browser cannot read.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "http/client.hpp"
#include "http/loopback_server.hpp"
#include "http/raw_client.hpp"
#include "http/server.hpp"

namespace kpo::http {
namespace {

class ServerFinisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("POST", "/echo", [](Request& r) { return JsonResponse(200, r.body); });
    router_.Add("GET", "/boom", [](Request&) -> Response { throw std::runtime_error("boom"); });
    router_.Add("GET", "/cached", [](Request&) {
      auto response = JsonResponse(200, "{}");
      response.SetHeader("X-Finished", "by the handler");
      return response;
    });
    // Marks each answer with the path it saw, so a test can tell the finisher ran on its request.
    router_.SetFinisher([](const Request& request, Response& response) {
      if (!FindHeader(response.headers, "X-Finished"))
        response.SetHeader("X-Finished", "path=" + request.path);
    });
    ServerOptions options;
    options.max_header_count = 20;
    server_ = std::make_unique<LoopbackServer>(router_, options);
  }

  ClientResponse Call(const std::string& method, const std::string& target, const std::string& body = {},
                      const Headers& headers = {{"Content-Type", "application/json"}}) {
    return Fetch("127.0.0.1", server_->Port(), method, target, headers, body);
  }

  Router router_;
  std::unique_ptr<LoopbackServer> server_;
};

TEST_F(ServerFinisherTest, AHandlersAnswerIsFinishedWithTheRequestItAnswers) {
  const auto response = Call("POST", "/echo", "{}");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("X-Finished"), "path=/echo");
  EXPECT_TRUE(response.Header("X-Request-Id")) << "the ids still move into the answer";
}

TEST_F(ServerFinisherTest, WhatAHandlerSetItselfIsTheFinishersToKeep) {
  EXPECT_EQ(Call("GET", "/cached").Header("X-Finished"), "by the handler");
}

TEST_F(ServerFinisherTest, TheRoutersOwnAnswersAreFinished) {
  EXPECT_EQ(Call("GET", "/nowhere").Header("X-Finished"), "path=/nowhere");  // 404
  const auto wrong_method = Call("PUT", "/echo", "{}");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.Header("X-Finished"), "path=/echo");
}

TEST_F(ServerFinisherTest, TheServersOwnRefusalsAndErrorsAreFinished) {
  const auto not_json = Call("POST", "/echo", "x", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(not_json.status, 415);
  EXPECT_EQ(not_json.Header("X-Finished"), "path=/echo");
  const auto failed = Call("GET", "/boom");
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.Header("X-Finished"), "path=/boom");
  Headers many;
  for (int i = 0; i < 30; ++i) many.emplace_back("X-H" + std::to_string(i), "v");
  const auto too_many = Call("GET", "/echo", {}, many);
  EXPECT_EQ(too_many.status, 431);
  EXPECT_TRUE(too_many.Header("X-Finished"));
}

// Refused while being read: no route was found, the path may not even be known, and the finisher
// still runs (with what the server parsed of the head).
TEST_F(ServerFinisherTest, ARequestRefusedWhileBeingReadGetsAFinishedAnswer) {
  const auto too_big = Call("POST", "/echo", std::string(64 * 1024 + 1, 'x'));
  EXPECT_EQ(too_big.status, 413);
  EXPECT_TRUE(too_big.Header("X-Finished"));
  RawClient client(server_->Port());
  client.Send("GET /echo HTTP/1.2\r\nHost: t\r\n\r\n");
  const auto answer = client.ReadUntil("\r\n\r\n", std::chrono::seconds(3));
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 ")) << answer.substr(0, 40);
  EXPECT_NE(answer.find("X-Finished: path="), std::string::npos) << answer;
}

}  // namespace
}  // namespace kpo::http
