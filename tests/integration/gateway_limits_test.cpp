// Abuse limits at the gateway: rate limits per user and per IP, body and header limits, content
// type, and a slow-header (slowloris) client cut off while others are served.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <string>

#include "http/client.hpp"
#include "support/fixture.hpp"
#include "support/gateway.hpp"

namespace kpo::testing {
namespace {

// The gateway with tight limits, so a handful of calls reaches them.
struct LimitedGateway : GatewaySystem {
  LimitedGateway()
      : GatewaySystem(1, {{"GATEWAY_RATE_USER_RPS", "2"},
                          {"GATEWAY_RATE_USER_BURST", "5"},
                          {"GATEWAY_RATE_IP_RPS", "1000"},
                          {"GATEWAY_RATE_IP_BURST", "1000"},
                          {"GATEWAY_HEADER_TIMEOUT_MS", "1000"}}) {}
};

class GatewayLimits : public SharedSystemTest<LimitedGateway> {
 protected:
  const GatewayClient& client() { return system().client; }
};

TEST_F(GatewayLimits, PerUserRateLimitAnswers429WithRetryAfter) {
  const auto session = client().Guest();
  int limited = 0;
  std::string retry_after;
  for (int i = 0; i < 12; ++i) {
    auto response = client().Call("GET", "/api/orders", session.token);
    if (response.status == 429) {
      ++limited;
      retry_after = std::string(response.Header("Retry-After").value_or(""));
    }
  }
  EXPECT_GE(limited, 5);
  EXPECT_FALSE(retry_after.empty());
  EXPECT_GE(std::stoi(retry_after), 1);
  // Another user is not affected by the first one's limit.
  EXPECT_EQ(client().Call("GET", "/api/orders", client().Guest().token).status, 200);
}

TEST(GatewayIpLimit, PerIpRateLimitCoversEvenAnonymousCalls) {
  // This test's client plays the UI's nginx too (X-Real-IP below): loopback is its trusted proxy.
  GatewaySystem system(1, {{"GATEWAY_RATE_IP_RPS", "1"},
                           {"GATEWAY_RATE_IP_BURST", "3"},
                           {"GATEWAY_TRUSTED_PROXIES", "127.0.0.1"}});
  system.Start();
  int limited = 0;
  for (int i = 0; i < 8; ++i) {
    auto response = system.client.Call("POST", "/api/auth/guest", std::nullopt);
    if (response.status == 429) {
      ++limited;
      EXPECT_TRUE(response.Header("Retry-After"));
    }
  }
  EXPECT_GE(limited, 4);

  // Behind a trusted proxy (here: this test's client, as the UI's nginx) each client has its own bucket.
  for (const std::string_view client : {"203.0.113.7", "2001:db8::7"}) {
    EXPECT_EQ(
        system.client.Call("POST", "/api/auth/guest", std::nullopt, {}, {{"X-Real-IP", std::string(client)}})
            .status,
        201)
        << client;
  }
  int limited_client = 0;
  for (int i = 0; i < 6; ++i) {
    limited_client +=
        system.client.Call("POST", "/api/auth/guest", std::nullopt, {}, {{"X-Real-IP", "203.0.113.7"}})
            .status == 429;
  }
  EXPECT_GE(limited_client, 2);
}

TEST_F(GatewayLimits, BodyOver64KiBIs413AndWrongTypeIs415) {
  const auto session = client().Guest();
  auto big = client().Call("POST", "/api/orders", session.token, std::string(65UL * 1024, ' '));
  EXPECT_EQ(big.status, 413);
  auto text = client().Call("POST", "/api/orders", session.token, R"({"amount":1,"description":"x"})",
                            {{"Content-Type", "text/plain"}});
  EXPECT_EQ(text.status, 415);
}

TEST_F(GatewayLimits, OversizedHeadersAre431) {
  auto response =
      http::Fetch("127.0.0.1", client().Port(), "GET", "/healthz", {{"X-Big", std::string(10'000, 'h')}});
  EXPECT_EQ(response.status, 431);
}

// The gateway adds fields of its own (the user's id, trace context, request id) before it forwards
// a request: a head within the public limits must still be within the service's.
TEST_F(GatewayLimits, AHeadWithinThePublicLimitsReachesTheService) {
  const auto session = client().Guest();
  const std::string authorization = "Bearer " + session.token;
  http::Headers fields{{"Authorization", authorization}};
  for (int i = 0; fields.size() < 99; ++i) fields.emplace_back("X-Fill-" + std::to_string(i), "v");
  // With Host, the 100 fields a client may send.
  EXPECT_EQ(http::Fetch("127.0.0.1", client().Port(), "GET", "/api/orders", fields).status, 200);
  fields.emplace_back("X-One-Too-Many", "v");
  EXPECT_EQ(http::Fetch("127.0.0.1", client().Port(), "GET", "/api/orders", fields).status, 431);

  // A head a few bytes short of the gateway's 8 KiB.
  const std::string head_without_filler =
      "GET /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + authorization +
      "\r\nX-Big: \r\n\r\n";
  const std::string filler(8192 - head_without_filler.size() - 16, 'b');
  EXPECT_EQ(http::Fetch("127.0.0.1", client().Port(), "GET", "/api/orders",
                        {{"Authorization", authorization}, {"X-Big", filler}})
                .status,
            200);
}

TEST_F(GatewayLimits, SlowHeaderClientIsCutOffWhileOthersAreServed) {
  const int slow = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(client().Port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(slow, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  const std::string partial = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  ASSERT_GT(::send(slow, partial.data(), partial.size(), MSG_NOSIGNAL), 0);
  const auto started = std::chrono::steady_clock::now();
  // Meanwhile everyone else is served.
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(http::Fetch("127.0.0.1", client().Port(), "GET", "/healthz").status, 200);
  timeval timeout{5, 0};
  ::setsockopt(slow, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  // The gateway answers 408 (the request did not arrive in time) and closes the connection.
  std::string answer;
  std::array<char, 512> buffer{};
  for (ssize_t n = 1; n > 0;) {
    n = ::recv(slow, buffer.data(), buffer.size(), 0);
    if (n > 0) answer.append(buffer.data(), static_cast<std::size_t>(n));
  }
  const auto waited = std::chrono::steady_clock::now() - started;
  ::close(slow);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 408 ")) << answer.substr(0, 60);
  EXPECT_LT(waited, std::chrono::seconds(5));
}

}  // namespace
}  // namespace kpo::testing
