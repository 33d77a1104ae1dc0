// Against a real RabbitMQ (RABBITMQ_URL): a consumer whose handler waits long (for the database to
// come back) keeps its connection, and so its deliveries, by KeepConsumerAlive.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "messaging/amqp.hpp"
#include "messaging/amqp_mqtest_support.hpp"

namespace kpo::messaging {
namespace {

using namespace mqtest;

// One message; the handler's first call waits 5 s on a connection with 1 s heartbeats (the broker
// closes a connection it heard nothing from for about 2 s), calling KeepConsumerAlive or not,
// then acks. Returns how often the message was delivered by 3 s after that wait.
int DeliveriesAfterALongHandler(bool keep_alive) {
  Topology topology;
  Connection(Settings()).PublishConfirmed({topology.MakeMessage()}, 5s);
  auto settings = Settings("kpo_messaging_test_heartbeat");
  settings.heartbeat_seconds = 1;
  std::atomic<int> deliveries = 0;
  std::atomic<bool> waited = false;
  RunningConsumer consumer(settings, topology.spec(), 5, [&](const Delivery&) {
    if (deliveries++ == 0) {
      const auto until = std::chrono::steady_clock::now() + 5s;
      while (std::chrono::steady_clock::now() < until) {
        if (keep_alive) KeepConsumerAlive();
        std::this_thread::sleep_for(200ms);  // the handler's long wait under test, not a synchronisation
      }
      waited = true;
    }
    return Disposition::kAck;
  });
  EXPECT_TRUE(Eventually([&] { return waited.load(); }, 10s));
  Eventually([&] { return deliveries.load() > 1; }, 3s);
  consumer.Stop();
  return deliveries.load();
}

TEST(AmqpConsumerHeartbeat, AHandlerWaitingLongKeepsItsDeliveryWhenItKeepsTheConsumerAlive) {
  // The two consumers (each with its own queue and connection) wait at the same time: one long wait
  // for the test, not two.
  auto kept = std::async(std::launch::async, [] { return DeliveriesAfterALongHandler(/*keep_alive=*/true); });
  auto control =
      std::async(std::launch::async, [] { return DeliveriesAfterALongHandler(/*keep_alive=*/false); });
  EXPECT_EQ(kept.get(), 1) << "acked on the connection it came on";
  // The control: without heartbeats the broker closed the connection, the ack failed, and the
  // message came again.
  EXPECT_EQ(control.get(), 2);
}

TEST(AmqpConsumerHeartbeat, KeepConsumerAliveOutsideAHandlerDoesNothing) {
  EXPECT_NO_THROW(KeepConsumerAlive());
}

}  // namespace
}  // namespace kpo::messaging
