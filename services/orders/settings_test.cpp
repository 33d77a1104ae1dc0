// The orders service's settings come from the environment, with the defaults README's
// "Configuration" documents.
#include "orders/settings.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/environment_testing.hpp"

namespace kpo::orders {
namespace {

using namespace std::chrono_literals;

class OrdersSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override { core::UnsetVariablesStartingWith({"ORDERS_", "RABBITMQ_URL=", "KPO_FAILPOINTS="}); }
  void TearDown() override {
    core::UnsetVariablesStartingWith({"ORDERS_", "RABBITMQ_URL=", "KPO_FAILPOINTS="});
  }
};

TEST_F(OrdersSettingsTest, DefaultsAreTheDocumentedOnes) {
  core::Config config;
  const auto settings = ReadOrdersSettings(config);
  const auto& service = settings.service;
  EXPECT_EQ(service.host, "127.0.0.1") << "loopback: orders trusts the gateway's X-User-Id";
  EXPECT_EQ(service.port, 5001);
  EXPECT_EQ(service.database_url, "postgresql://kpo:kpo@localhost:5432/orders");
  EXPECT_EQ(service.amqp.url, "amqp://kpo:kpo@localhost:5672/");
  EXPECT_EQ(service.pool_size, 16U);
  EXPECT_EQ(service.workers, 12);
  EXPECT_EQ(service.io_threads, 2);
  EXPECT_EQ(service.max_queued, 512U);
  EXPECT_EQ(service.queue.target, 0ms);
  EXPECT_EQ(service.queue.interval, 200ms);
  EXPECT_EQ(service.queue.max_wait, 1000ms);
  EXPECT_EQ(service.prefetch, 256);
  EXPECT_EQ(service.consumer_batch, 256U);
  EXPECT_EQ(service.relays, 2);
  EXPECT_EQ(service.consumers, 2);
  EXPECT_TRUE(service.consumer_priority);
  EXPECT_EQ(service.relay.batch_size, 200U);
  EXPECT_EQ(service.relay.poll_interval, 200ms);
  EXPECT_EQ(service.relay.orphan_age, 1000ms);
  EXPECT_EQ(service.relay.delete_delay, 0ms) << "the published step is recorded as the rows go";
  EXPECT_EQ(service.relay.vacuum_interval, 2000ms);
  EXPECT_NE(service.relay.handoff, nullptr) << "ORDERS_RELAY_WAKEUP defaults to true";
  EXPECT_TRUE(service.relay.on_published) << "the relay records each order's published step";
  EXPECT_EQ(service.relay.exchanges, std::vector<std::string>{"orders"});
  EXPECT_EQ(service.relay.application_name, "orders-relay");
  EXPECT_FALSE(service.relay.crash_after_confirm);
  EXPECT_EQ(service.inbox_sweep.retention, std::chrono::hours(168));
  EXPECT_EQ(service.statistics.every, 5000ms);
  EXPECT_EQ(settings.live.poll_interval, 100ms);
  EXPECT_EQ(settings.live.heartbeat, 15000ms);
  EXPECT_EQ(settings.live.max_streams_per_user, 0U);
  EXPECT_EQ(settings.admission.bounds.max_lag, 1000ms);
  EXPECT_EQ(settings.admission.bounds.max_pending, 1000);
  EXPECT_EQ(settings.admission.max_in_flight, 96);
  EXPECT_EQ(settings.admission.check_every, 100ms);
  EXPECT_EQ(settings.admission.window, 30s);
  EXPECT_EQ(settings.intake.max_batch, 64U);
  EXPECT_EQ(settings.intake.max_writers, 2);
  EXPECT_EQ(settings.intake.max_wait, 3000ms);
  EXPECT_EQ(settings.event_sweep.retention, 3600s);
  // Every part that reads the database reads the same one.
  EXPECT_EQ(settings.live.database_url, service.database_url);
  EXPECT_EQ(settings.admission.database_url, service.database_url);
  EXPECT_EQ(service.relay.database_url, service.database_url);
}

TEST_F(OrdersSettingsTest, EachVariableSetsItsOwnPart) {
  setenv("ORDERS_INTAKE_WRITERS", "3", 1);
  setenv("ORDERS_SSE_MAX_STREAMS_PER_USER", "16", 1);
  setenv("ORDERS_BACKPRESSURE_MAX_LAG_MS", "250", 1);
  setenv("ORDERS_RELAY_WAKEUP", "false", 1);
  setenv("ORDERS_DATABASE_URL", "postgresql://elsewhere/orders", 1);
  core::Config config;
  const auto settings = ReadOrdersSettings(config);
  EXPECT_EQ(settings.intake.max_writers, 3);
  EXPECT_EQ(settings.live.max_streams_per_user, 16U);
  EXPECT_EQ(settings.admission.bounds.max_lag, 250ms);
  EXPECT_EQ(settings.service.relay.handoff, nullptr) << "the seed design: the relays only poll";
  EXPECT_EQ(settings.admission.database_url, "postgresql://elsewhere/orders");
  EXPECT_EQ(settings.live.database_url, "postgresql://elsewhere/orders");
}

TEST_F(OrdersSettingsTest, AMalformedOrOutOfRangeValueIsRefused) {
  setenv("ORDERS_INTAKE_WRITERS", "many", 1);
  core::Config malformed;
  EXPECT_THROW(ReadOrdersSettings(malformed), std::invalid_argument);
  setenv("ORDERS_INTAKE_WRITERS", "0", 1);
  core::Config too_few;
  EXPECT_THROW(ReadOrdersSettings(too_few), std::invalid_argument);
}

}  // namespace
}  // namespace kpo::orders
