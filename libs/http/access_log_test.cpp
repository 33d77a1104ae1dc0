#include "http/access_log.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <string>

#include "core/ids.hpp"
#include "core/log.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"

namespace kpo::http {
namespace {

Request FromProxy(std::string real_ip) {
  Request request;
  request.method = "GET";
  request.path = "/api/orders";
  request.headers.emplace_back("X-Real-IP", std::move(real_ip));
  return request;
}

std::string ReportedAddress(const Request& request) {
  return std::string(request.Header("X-Real-IP").value_or(""));
}

TEST(IdentifyRequest, KeepsTheClientsAddressWhenAProxyReportedAnother) {
  auto proxied = FromProxy("203.0.113.7");
  IdentifyRequest(proxied, "127.0.0.1", ReportedAddress);
  EXPECT_EQ(proxied.remote_address, "127.0.0.1");
  EXPECT_EQ(proxied.client_address, "203.0.113.7");

  auto direct = FromProxy("127.0.0.1");
  IdentifyRequest(direct, "127.0.0.1", ReportedAddress);
  EXPECT_EQ(direct.client_address, "") << "the same address is not named twice";

  auto without = FromProxy("203.0.113.7");
  IdentifyRequest(without, "127.0.0.1");
  EXPECT_EQ(without.client_address, "") << "only a server told how to find it names a client";
}

TEST(ConcludeRequest, TheAccessLineNamesTheClientAndTheAnswerCarriesTheRequestsIds) {
  ASSERT_TRUE(core::InitLogging("access-log-test", "info"));
  auto request = FromProxy("203.0.113.7");
  IdentifyRequest(request, "127.0.0.1", ReportedAddress);
  const std::string request_id = request.request_id;
  const std::string trace_id(core::TraceIdOf(request.traceparent));
  Router router;
  Response response;
  response.status = 200;
  testing::internal::CaptureStdout();
  ConcludeRequest(router, request, "/api/orders", response, 0.001);
  spdlog::default_logger()->flush();
  const auto line = testing::internal::GetCapturedStdout();
  EXPECT_NE(line.find(R"("remote":"127.0.0.1")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("client":"203.0.113.7")"), std::string::npos) << line;
  // The line was written before the ids moved into the answer.
  EXPECT_NE(line.find(R"("request_id":")" + request_id + '"'), std::string::npos) << line;
  EXPECT_NE(line.find(R"("trace_id":")" + trace_id + '"'), std::string::npos) << line;
  EXPECT_EQ(FindHeader(response.headers, "X-Request-Id"), request_id);
  EXPECT_NE(std::string(FindHeader(response.headers, "traceparent").value_or("")).find(trace_id),
            std::string::npos);
}

// A created resource (201/202 with Location) is named on the access line: at info, the only line that
// ties a new order's id to the request's ids. A line without one has no such field.
TEST(ConcludeRequest, TheAccessLineNamesWhatTheRequestCreated) {
  ASSERT_TRUE(core::InitLogging("access-log-test", "info"));
  Router router;
  auto created = FromProxy("203.0.113.7");
  IdentifyRequest(created, "127.0.0.1", ReportedAddress);
  Response accepted;
  accepted.status = 202;
  accepted.SetHeader("Location", "/api/orders/0a1b2c3d-0000-4000-8000-000000000001");
  auto read = FromProxy("203.0.113.7");
  IdentifyRequest(read, "127.0.0.1", ReportedAddress);
  Response listed;
  testing::internal::CaptureStdout();
  ConcludeRequest(router, created, "/api/orders", accepted, 0.001);
  ConcludeRequest(router, read, "/api/orders", listed, 0.001);
  spdlog::default_logger()->flush();
  const auto lines = testing::internal::GetCapturedStdout();
  const auto first_end = lines.find('\n');
  ASSERT_NE(first_end, std::string::npos) << lines;
  EXPECT_NE(
      lines.substr(0, first_end).find(R"("location":"/api/orders/0a1b2c3d-0000-4000-8000-000000000001")"),
      std::string::npos)
      << lines;
  EXPECT_EQ(lines.substr(first_end).find(R"("location")"), std::string::npos) << lines;
}

// A refusal of the server's own names its reason on the access line (a 503 may be shed load, a busy
// queue or an unreachable database); a handler's own answer has no such field.
TEST(ConcludeRequest, TheAccessLineNamesTheServersOwnRefusal) {
  ASSERT_TRUE(core::InitLogging("access-log-test", "info"));
  Router router;
  auto refused = FromProxy("203.0.113.7");
  IdentifyRequest(refused, "127.0.0.1", ReportedAddress);
  auto busy = ProblemError(503, "busy").WithRetryAfter(1).WithReason("busy").ToResponse();
  auto answered = FromProxy("203.0.113.7");
  IdentifyRequest(answered, "127.0.0.1", ReportedAddress);
  auto unavailable = ProblemResponse(503, "the handler's own");
  testing::internal::CaptureStdout();
  ConcludeRequest(router, refused, "/api/orders", busy, 0.001);
  ConcludeRequest(router, answered, "/api/orders", unavailable, 0.001);
  spdlog::default_logger()->flush();
  const auto lines = testing::internal::GetCapturedStdout();
  const auto first_end = lines.find('\n');
  ASSERT_NE(first_end, std::string::npos) << lines;
  EXPECT_NE(lines.substr(0, first_end).find(R"("reason":"busy")"), std::string::npos) << lines;
  EXPECT_EQ(lines.substr(first_end).find(R"("reason")"), std::string::npos) << lines;
}

// A line written while LogContextOf(request) lives carries the request's ids.
TEST(LogContextOf, AttachesTheRequestsIdsToTheLinesWrittenMeanwhile) {
  Request request;
  IdentifyRequest(request, "127.0.0.1");
  const std::string trace_id(core::TraceIdOf(request.traceparent));
  std::string inside;
  {
    const auto context = LogContextOf(request);
    inside = core::RenderForTest("upstream failed");
  }
  EXPECT_NE(inside.find(R"("request_id":")" + request.request_id + '"'), std::string::npos) << inside;
  EXPECT_NE(inside.find(R"("trace_id":")" + trace_id + '"'), std::string::npos) << inside;
  EXPECT_EQ(core::RenderForTest("later").find(request.request_id), std::string::npos);
}

}  // namespace
}  // namespace kpo::http
