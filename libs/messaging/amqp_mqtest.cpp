// Against a real RabbitMQ (RABBITMQ_URL): connecting, topology, publisher confirms, basic.get.
#include <gtest/gtest.h>

#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.hpp"
#include "messaging/amqp.hpp"
#include "messaging/amqp_mqtest_support.hpp"

namespace kpo::messaging {
namespace {

using namespace mqtest;

TEST(AmqpConnectionTest, UnreachableBrokerThrows) {
  AmqpSettings settings;
  settings.url = "amqp://guest:guest@127.0.0.1:1/";
  settings.timeout = 1s;
  EXPECT_THROW(Connection{settings}, AmqpError);
}

TEST(AmqpConnectionTest, InvalidUrlThrows) {
  AmqpSettings settings;
  settings.url = "http://localhost/";
  EXPECT_THROW(Connection{settings}, AmqpError);
}

TEST(AmqpConnectionTest, WrongPasswordThrows) {
  AmqpSettings settings;
  settings.url = "amqp://guest:wrong@localhost:5672/";
  EXPECT_THROW(Connection{settings}, AmqpError);
}

// A cluster's URL list with dead nodes in it: every connect, whatever address it starts at, reaches
// the live one, and works on it (a publish is confirmed).
TEST(AmqpConnectionTest, AListOfBrokersSkipsTheDeadOnes) {
  AmqpSettings settings = Settings();
  const std::string live = settings.url;
  settings.url = "amqp://guest:guest@127.0.0.1:1/, " + live + " ,amqp://guest:guest@127.0.0.1:2/";
  settings.timeout = 1s;
  Topology topology;
  for (int i = 0; i < 3; ++i) {
    Connection connection(settings);
    EXPECT_EQ(connection.PublishConfirmed({topology.MakeMessage()}, 5s), std::vector<bool>{true});
    EXPECT_NE(connection.Node(), "127.0.0.1:1");
    EXPECT_NE(connection.Node(), "127.0.0.1:2");
  }
}

TEST(AmqpConnectionTest, AListOfDeadBrokersThrowsNamingEach) {
  AmqpSettings settings;
  settings.url = "amqp://guest:guest@127.0.0.1:1/,amqp://guest:guest@127.0.0.1:2/";
  settings.timeout = 1s;
  try {
    Connection connection(settings);
    FAIL() << "connected to a dead broker";
  } catch (const AmqpError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("127.0.0.1:1"), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:2"), std::string::npos) << what;
  }
}

TEST(AmqpConnectionTest, IncompatibleRedeclarationThrows) {
  Topology topology;
  QueueSpec changed = topology.spec();
  changed.delivery_limit = 7;
  Connection connection(Settings());
  try {
    connection.DeclareQueue(changed);
    FAIL() << "a queue was redeclared with other arguments";
  } catch (const AmqpError& error) {
    EXPECT_EQ(error.ReplyCode(), 406) << error.what();  // PRECONDITION_FAILED
    EXPECT_FALSE(error.IsNotFound());
  }
  // The object is unusable after the error.
  EXPECT_THROW(connection.DeclareQueue(topology.spec()), AmqpError);
  Connection fresh(Settings());
  EXPECT_NO_THROW(fresh.DeclareQueue(topology.spec()));  // idempotent with the same arguments
}

// The broker's 404 is told apart by its code, not by the words of its message (the DLQ tool's "missing").
TEST(AmqpConnectionTest, AMissingQueueIsNotFound) {
  Connection connection(Settings());
  try {
    connection.QueueDepth("test.no-such-queue." + core::RandomHex(6));
    FAIL() << "a missing queue had a depth";
  } catch (const AmqpError& error) {
    EXPECT_TRUE(error.IsNotFound()) << error.what();
  }
}

// Opens a connection with 1 s heartbeats, leaves it idle for 5 s (calling KeepAlive or not),
// then publishes: true when the message was confirmed.
bool PublishesAfterIdling(const Topology& topology, bool keep_alive) {
  auto settings = Settings("kpo_messaging_test_idle");
  settings.heartbeat_seconds = 1;
  try {
    Connection connection(settings);
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < until) {
      if (keep_alive) connection.KeepAlive();
      std::this_thread::sleep_for(200ms);  // the idle period under test, not a synchronisation
    }
    return connection.PublishConfirmed({topology.MakeMessage()}, 5s) == std::vector<bool>{true};
  } catch (const AmqpError& error) {
    std::printf("publishing after idling: %s\n", error.what());
    return false;
  }
}

TEST(AmqpConnectionTest, AnIdleConnectionIsDroppedUnlessKeptAlive) {
  Topology topology;
  // Both connections idle at the same time, each on its own thread (one connection per thread): the
  // test takes one idle period, not two.
  auto dropped =
      std::async(std::launch::async, [&] { return PublishesAfterIdling(topology, /*keep_alive=*/false); });
  auto kept =
      std::async(std::launch::async, [&] { return PublishesAfterIdling(topology, /*keep_alive=*/true); });
  EXPECT_FALSE(dropped.get());
  EXPECT_TRUE(kept.get());
}

TEST(AmqpPublishTest, RoundTripThroughConsumer) {
  Topology topology;
  const std::vector<Message> sent = {topology.MakeMessage("thing.created"),
                                     topology.MakeMessage("thing.updated")};
  {
    Connection connection(Settings());
    EXPECT_EQ(connection.PublishConfirmed(sent, 5s), std::vector<bool>({true, true}));
  }

  Recorder recorder;
  RunningConsumer consumer(Settings(), topology.spec(), 10, AckAndRecord(recorder));
  ASSERT_TRUE(Eventually([&] { return recorder.Size() >= 2; }));
  consumer.Stop();

  const std::vector<Delivery> got = recorder.Snapshot();
  ASSERT_EQ(got.size(), 2u);
  ExpectSameMessage(sent[0], got[0].message);
  ExpectSameMessage(sent[1], got[1].message);
  EXPECT_EQ(got[0].delivery_count, 0);
  EXPECT_FALSE(got[0].redelivered);

  Connection connection(Settings());
  EXPECT_TRUE(connection.Get(topology.spec().name, 10, false).empty());  // acked, so gone
}

TEST(AmqpPublishTest, UnroutableMandatoryMessageIsNotConfirmed) {
  Topology topology;
  Connection connection(Settings());
  const std::vector<Message> batch = {topology.MakeMessage("thing.created"),
                                      topology.MakeMessage("nobody.listens"),
                                      topology.MakeMessage("thing.updated")};
  EXPECT_EQ(connection.PublishConfirmed(batch, 5s), std::vector<bool>({true, false, true}));
  // Sequence numbers continue across calls on the same channel.
  EXPECT_EQ(connection.PublishConfirmed({topology.MakeMessage()}, 5s), std::vector<bool>({true}));
  EXPECT_EQ(connection.PublishConfirmed({}, 5s), std::vector<bool>());
  EXPECT_EQ(connection.Get(topology.spec().name, 10, true).size(), 3u);
}

TEST(AmqpPublishTest, MissingExchangeFailsThePublish) {
  Connection connection(Settings());
  Message message;
  message.exchange = "test.missing." + core::RandomHex(6);
  message.routing_key = "x";
  message.message_id = core::NewUuid();
  EXPECT_THROW(connection.PublishConfirmed({message}, 5s), AmqpError);
}

TEST(AmqpGetTest, GetWithoutRemoveReturnsMessagesToTheQueue) {
  Topology topology;
  Connection connection(Settings());
  const std::vector<Message> sent = {topology.MakeMessage(), topology.MakeMessage()};
  ASSERT_EQ(connection.PublishConfirmed(sent, 5s), std::vector<bool>({true, true}));

  const std::vector<Delivery> peeked = connection.Get(topology.spec().name, 10, false);
  ASSERT_EQ(peeked.size(), 2u);
  ExpectSameMessage(sent[0], peeked[0].message);

  const std::vector<Delivery> taken = connection.Get(topology.spec().name, 1, true);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].message.message_id, sent[0].message_id);
  EXPECT_EQ(connection.Get(topology.spec().name, 10, true).size(), 1u);
  EXPECT_TRUE(connection.Get(topology.spec().name, 10, true).empty());
}

}  // namespace
}  // namespace kpo::messaging
