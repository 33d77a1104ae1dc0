// The gateway's settings come from the environment, with the documented defaults.
#include "gateway/settings.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/environment_testing.hpp"

namespace kpo::gateway {
namespace {

class Settings : public ::testing::Test {
 protected:
  void SetUp() override {
    core::UnsetVariablesStartingWith({"GATEWAY_"});
    setenv("GATEWAY_JWT_SECRET", "a-secret-long-enough-for-hs256-signing", 1);
  }
  void TearDown() override { core::UnsetVariablesStartingWith({"GATEWAY_"}); }
};

TEST_F(Settings, DefaultsAreTheDocumentedOnes) {
  core::Config config;
  const auto settings = ReadGatewaySettings(config);
  EXPECT_EQ(settings.server.host, "0.0.0.0");
  EXPECT_EQ(settings.server.port, 5005);
  EXPECT_EQ(settings.server.service, "gateway");
  EXPECT_EQ(settings.orders.name, "orders");
  EXPECT_EQ(settings.orders.addresses, std::vector<std::string>{"127.0.0.1:5001"});
  EXPECT_EQ(settings.payments.name, "payments");
  EXPECT_EQ(settings.payments.addresses, std::vector<std::string>{"127.0.0.1:5002"});
  EXPECT_EQ(settings.user_rps, 100);
  EXPECT_EQ(settings.ip_burst, 200);
  EXPECT_EQ(settings.token_ttl, std::chrono::hours(7 * 24));
  // The UI's nginx (proxy_bind 127.0.0.2), not any client on this host.
  EXPECT_TRUE(settings.trusted_proxies.Contains("127.0.0.2"));
  EXPECT_FALSE(settings.trusted_proxies.Contains("127.0.0.1"));
  EXPECT_FALSE(settings.trusted_proxies.Contains("::1"));
  EXPECT_FALSE(settings.trusted_proxies.Contains("10.0.0.1"));
  EXPECT_TRUE(settings.metrics_readers.Contains("127.0.0.1"));
  EXPECT_FALSE(settings.metrics_readers.Contains("192.0.2.1"));
  EXPECT_EQ(settings.cors_origins, std::vector<std::string>{"http://localhost:3000"});
  EXPECT_EQ(settings.shed_multiplier, 1.5);
  EXPECT_EQ(settings.shed_max_share, 0.8);
  EXPECT_EQ(settings.server.max_queued, 512U);
  EXPECT_EQ(settings.server.queue.target, std::chrono::milliseconds(0));
  EXPECT_EQ(settings.server.queue.max_wait, std::chrono::milliseconds(5000));
  EXPECT_EQ(settings.server.io_nice, -10);
  EXPECT_EQ(settings.server.max_connections_per_peer, 256U);
  ASSERT_TRUE(settings.server.unbounded_peer);
  EXPECT_TRUE(settings.server.unbounded_peer("127.0.0.2")) << "the UI's nginx bounds its own clients";
  EXPECT_FALSE(settings.server.unbounded_peer("127.0.0.1"));
}

TEST_F(Settings, TheShedMaxPercentIsAShareOfAll) {
  setenv("GATEWAY_SHED_MAX_PERCENT", "95", 1);
  core::Config config;
  EXPECT_DOUBLE_EQ(ReadGatewaySettings(config).shed_max_share, 0.95);
  setenv("GATEWAY_SHED_MAX_PERCENT", "101", 1);
  core::Config over_all;
  EXPECT_THROW(ReadGatewaySettings(over_all), std::invalid_argument);
}

TEST_F(Settings, TheIoThreadsNiceValueIsReadAndBounded) {
  setenv("GATEWAY_IO_NICE", "0", 1);
  core::Config unchanged;
  EXPECT_EQ(ReadGatewaySettings(unchanged).server.io_nice, 0);
  setenv("GATEWAY_IO_NICE", "-21", 1);
  core::Config below_range;
  EXPECT_THROW(ReadGatewaySettings(below_range), std::invalid_argument);
}

TEST_F(Settings, ShedPassPercentZeroNeverShedsAndLessThanAllCountsAsAll) {
  setenv("GATEWAY_SHED_PASS_PERCENT", "0", 1);
  core::Config never;
  EXPECT_EQ(ReadGatewaySettings(never).shed_multiplier, 0.0);
  setenv("GATEWAY_SHED_PASS_PERCENT", "50", 1);
  core::Config half;
  EXPECT_EQ(ReadGatewaySettings(half).shed_multiplier, 1.0);
  setenv("GATEWAY_SHED_PASS_PERCENT", "150", 1);
  core::Config more;
  EXPECT_EQ(ReadGatewaySettings(more).shed_multiplier, 1.5);
}

TEST_F(Settings, BothUpstreamsShareTheTimeoutsButNotTheReplicas) {
  {
    core::Config config;
    EXPECT_EQ(ReadGatewaySettings(config).orders.stall, std::chrono::milliseconds(5000));
  }
  setenv("GATEWAY_UPSTREAM_TIMEOUT_MS", "1234", 1);
  setenv("GATEWAY_UPSTREAM_STALL_MS", "750", 1);
  setenv("GATEWAY_PAYMENTS_UPSTREAMS", "127.0.0.1:7002,127.0.0.1:7012", 1);
  core::Config config;
  const auto settings = ReadGatewaySettings(config);
  EXPECT_EQ(settings.orders.response_timeout, std::chrono::milliseconds(1234));
  EXPECT_EQ(settings.payments.response_timeout, std::chrono::milliseconds(1234));
  EXPECT_EQ(settings.orders.stall, std::chrono::milliseconds(750));
  EXPECT_EQ(settings.payments.stall, std::chrono::milliseconds(750));
  EXPECT_EQ(settings.payments.addresses, (std::vector<std::string>{"127.0.0.1:7002", "127.0.0.1:7012"}));
}

// Behind a proxy that keeps idle connections longer than the gateway, a POST sent on one the gateway
// is closing fails: the idle timeout is raised where the proxy needs it, and never to nothing.
TEST_F(Settings, TheIdleTimeoutOfKeptAliveConnectionsIsReadAndBounded) {
  {
    core::Config config;
    EXPECT_EQ(ReadGatewaySettings(config).server.idle_timeout, std::chrono::seconds(30));
  }
  setenv("GATEWAY_IDLE_TIMEOUT_MS", "75000", 1);
  {
    core::Config config;
    EXPECT_EQ(ReadGatewaySettings(config).server.idle_timeout, std::chrono::seconds(75));
  }
  setenv("GATEWAY_IDLE_TIMEOUT_MS", "999", 1);
  core::Config config;
  EXPECT_THROW(ReadGatewaySettings(config), std::invalid_argument);
}

TEST_F(Settings, ProxiesAndMetricsReadersMayBeNetworks) {
  setenv("GATEWAY_TRUSTED_PROXIES", "172.18.0.0/16", 1);
  setenv("GATEWAY_METRICS_FROM", "10.0.0.0/8,fd00::/8", 1);
  core::Config config;
  const auto settings = ReadGatewaySettings(config);
  EXPECT_TRUE(settings.trusted_proxies.Contains("172.18.3.4"));
  EXPECT_FALSE(settings.trusted_proxies.Contains("127.0.0.1"));
  EXPECT_TRUE(settings.metrics_readers.Contains("10.1.2.3"));
  EXPECT_TRUE(settings.metrics_readers.Contains("fd00::5"));
  setenv("GATEWAY_METRICS_FROM", "10.0.0.0/40", 1);
  core::Config bad;
  EXPECT_THROW(ReadGatewaySettings(bad), std::invalid_argument);
}

TEST_F(Settings, WithoutASecretTheGatewayMustNotStart) {
  unsetenv("GATEWAY_JWT_SECRET");
  core::Config config;
  EXPECT_THROW(ReadGatewaySettings(config), MissingSecret);
}

TEST_F(Settings, AMalformedValueIsRefused) {
  setenv("GATEWAY_RATE_IP_RPS", "fast", 1);
  core::Config config;
  EXPECT_THROW(ReadGatewaySettings(config), std::invalid_argument);
  setenv("GATEWAY_RATE_IP_RPS", "1", 1);
  setenv("GATEWAY_ORDERS_UPSTREAMS", "nowhere", 1);
  core::Config again;
  EXPECT_THROW(ReadGatewaySettings(again), std::invalid_argument);
}

}  // namespace
}  // namespace kpo::gateway
