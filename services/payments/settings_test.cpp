// The payments service's settings come from the environment, with the defaults README's
// "Configuration" documents.
#include "payments/settings.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kpo::payments {
namespace {

using namespace std::chrono_literals;

// Every variable these settings read that the environment the test runs in may hold.
void UnsetPaymentsVariables() {
  std::vector<std::string> names;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (text.starts_with("PAYMENTS_") || text.starts_with("RABBITMQ_URL=") ||
        text.starts_with("KPO_FAILPOINTS=")) {
      names.emplace_back(text.substr(0, text.find('=')));
    }
  }
  for (const auto& name : names) unsetenv(name.c_str());
}

class PaymentsSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override { UnsetPaymentsVariables(); }
  void TearDown() override { UnsetPaymentsVariables(); }
};

TEST_F(PaymentsSettingsTest, DefaultsAreTheDocumentedOnes) {
  core::Config config;
  const auto settings = ReadPaymentsSettings(config);
  EXPECT_EQ(settings.host, "127.0.0.1") << "loopback: payments trusts the gateway's X-User-Id";
  EXPECT_EQ(settings.port, 5002);
  EXPECT_EQ(settings.database_url, "postgresql://kpo:kpo@localhost:5432/payments");
  EXPECT_EQ(settings.pool_size, 16U);
  EXPECT_EQ(settings.workers, 16);
  EXPECT_EQ(settings.queue.max_wait, 1000ms);
  EXPECT_EQ(settings.prefetch, 256);
  EXPECT_EQ(settings.relays, 2);
  EXPECT_EQ(settings.consumers, 2);
  EXPECT_EQ(settings.relay.delete_delay, 100ms);
  EXPECT_EQ(settings.relay.exchanges, std::vector<std::string>{"payments"});
  EXPECT_EQ(settings.relay.application_name, "payments-relay");
  EXPECT_EQ(settings.relay.amqp.connection_name, "payments-relay");
  EXPECT_NE(settings.relay.handoff, nullptr);
  EXPECT_FALSE(settings.relay.on_published) << "payments keeps no timeline of its own";
}

TEST_F(PaymentsSettingsTest, TheServicesOwnBrokerUserComesFirst) {
  setenv("RABBITMQ_URL", "amqp://shared:pw@broker:5672/", 1);
  core::Config shared;
  EXPECT_EQ(ReadPaymentsSettings(shared).amqp.url, "amqp://shared:pw@broker:5672/");
  setenv("PAYMENTS_RABBITMQ_URL", "amqp://payments:pw@broker:5672/", 1);
  core::Config own;
  EXPECT_EQ(ReadPaymentsSettings(own).amqp.url, "amqp://payments:pw@broker:5672/");
  setenv("PAYMENTS_RABBITMQ_URL", "http://not-amqp", 1);
  core::Config wrong;
  EXPECT_THROW(ReadPaymentsSettings(wrong), std::invalid_argument);
}

}  // namespace
}  // namespace kpo::payments
