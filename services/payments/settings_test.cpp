// The payments service's settings come from the environment, with the defaults README's
// "Configuration" documents.
#include "payments/settings.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/environment_testing.hpp"

namespace kpo::payments {
namespace {

using namespace std::chrono_literals;

class PaymentsSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    core::UnsetVariablesStartingWith({"PAYMENTS_", "RABBITMQ_URL=", "KPO_FAILPOINTS="});
  }
  void TearDown() override {
    core::UnsetVariablesStartingWith({"PAYMENTS_", "RABBITMQ_URL=", "KPO_FAILPOINTS="});
  }
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
