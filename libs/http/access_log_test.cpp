#include "http/access_log.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <string>

#include "core/log.hpp"

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

TEST(RecordRequest, TheAccessLineNamesTheClientBesideThePeer) {
  ASSERT_TRUE(core::InitLogging("access-log-test", "info"));
  auto request = FromProxy("203.0.113.7");
  IdentifyRequest(request, "127.0.0.1", ReportedAddress);
  testing::internal::CaptureStdout();
  RecordRequest(request, "/api/orders", 200, 0.001);
  spdlog::default_logger()->flush();
  const auto line = testing::internal::GetCapturedStdout();
  EXPECT_NE(line.find(R"("remote":"127.0.0.1")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("client":"203.0.113.7")"), std::string::npos) << line;
}

}  // namespace
}  // namespace kpo::http
