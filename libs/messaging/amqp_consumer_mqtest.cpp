// Against a real RabbitMQ (RABBITMQ_URL): the consumer (acks, retries, dead letters, reconnects)
// and dead-letter replay.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "messaging/amqp.hpp"
#include "messaging/amqp_impl.hpp"
#include "messaging/amqp_mqtest_support.hpp"

namespace kpo::messaging {
namespace {

using namespace mqtest;

TEST(AmqpConsumerTest, DeadLetterGoesToDlq) {
  Topology topology;
  const Message sent = topology.MakeMessage();
  Connection(Settings()).PublishConfirmed({sent}, 5s);

  Recorder recorder;
  RunningConsumer consumer(Settings(), topology.spec(), 5, [&](const Delivery& d) {
    recorder.Add(d);
    return Disposition::kDeadLetter;
  });

  Connection connection(Settings());
  const std::vector<Delivery> dead = TakeEventually(connection, topology.Dlq());
  consumer.Stop();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].message.message_id, sent.message_id);
  EXPECT_EQ(dead[0].message.body, sent.body);
  EXPECT_EQ(Header(dead[0].message, "traceparent"), Header(sent, "traceparent"));
  EXPECT_EQ(recorder.Size(), 1u);
  EXPECT_TRUE(connection.Get(topology.spec().name, 10, true).empty());
}

TEST(AmqpConsumerTest, DeadLetterCarriesTheReasonTheServiceAndTheOrigin) {
  Topology topology;
  const Message sent = topology.MakeMessage("thing.updated");
  Connection(Settings()).PublishConfirmed({sent}, 5s);

  RunningConsumer consumer(Settings("reason-test"), topology.spec(), 5, [&](const Delivery& d) {
    d.failure = "amount is missing or out of range";
    return Disposition::kDeadLetter;
  });

  Connection connection(Settings());
  const std::vector<Delivery> dead = TakeEventually(connection, topology.Dlq());
  consumer.Stop();
  ASSERT_EQ(dead.size(), 1u);
  Message got = dead[0].message;  // as delivered from the DLQ: through the dead-letter exchange
  got.exchange = sent.exchange;
  got.routing_key = sent.routing_key;
  ExpectSameMessage(sent, got);
  EXPECT_EQ(Header(dead[0].message, kErrorHeader), "amount is missing or out of range");
  EXPECT_EQ(Header(dead[0].message, kServiceHeader), "reason-test");
  EXPECT_EQ(Header(dead[0].message, kQueueHeader), topology.spec().name);
  EXPECT_EQ(Header(dead[0].message, kOriginExchangeHeader), sent.exchange);
  EXPECT_EQ(Header(dead[0].message, kOriginKeyHeader), "thing.updated");
  EXPECT_GE(Header(dead[0].message, kFailedAtHeader).value_or("").size(), 20u);
  // Acked once the copy was confirmed: not waiting in the queue, not rejected a second time.
  EXPECT_TRUE(connection.Get(topology.spec().name, 10, true).empty());
  EXPECT_TRUE(connection.Get(topology.Dlq(), 10, true).empty());
}

TEST(AmqpConsumerTest, RetriesBeyondTheDeliveryLimitGoToDlq) {
  constexpr int kLimit = 2;
  Topology topology(kLimit);
  const Message sent = topology.MakeMessage();
  Connection(Settings()).PublishConfirmed({sent}, 5s);

  Recorder recorder;
  RunningConsumer consumer(Settings(), topology.spec(), 5, [&](const Delivery& d) {
    recorder.Add(d);
    // A throwing handler counts as kRetry, like an explicit kRetry.
    if (recorder.Size() == 1) {
      throw std::runtime_error("transient failure");
    }
    return Disposition::kRetry;
  });

  Connection connection(Settings());
  const std::vector<Delivery> dead = TakeEventually(connection, topology.Dlq());
  consumer.Stop();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].message.message_id, sent.message_id);

  // Each time its count reached RenewFrom(kLimit) the message was renewed instead of handled,
  // kMaxRenewals times; the last copy went the whole way to the limit.
  constexpr int kPerCopy = RenewFrom(kLimit);
  const std::vector<Delivery> seen = recorder.Snapshot();
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(kPerCopy * kMaxRenewals + kLimit + 1));
  for (std::size_t i = 0; i < seen.size(); ++i) {
    const int renewals = std::min(static_cast<int>(i) / kPerCopy, kMaxRenewals);
    const auto count = static_cast<std::int64_t>(i) - static_cast<std::int64_t>(renewals) * kPerCopy;
    EXPECT_EQ(Renewals(seen[i].message), renewals) << i;
    EXPECT_EQ(seen[i].delivery_count, count) << i;
    EXPECT_EQ(seen[i].message.message_id, sent.message_id) << i;
    EXPECT_EQ(seen[i].message.routing_key, sent.routing_key) << i;
  }
  EXPECT_EQ(Renewals(dead[0].message), kMaxRenewals);
}

// A consumer that dies returns every delivery it had not settled, and the broker counts that as a
// delivery. A valid message that was with consumers that crashed as often as the limit is renewed
// once it is seen again, not dead-lettered when the next one fails too; it arrives routed as it was.
TEST(AmqpConsumerTest, AMessageWornByCrashesIsRenewedNotDeadLettered) {
  constexpr int kLimit = 2;
  Topology topology(kLimit);
  const Message sent = topology.MakeMessage("thing.updated");
  Connection(Settings()).PublishConfirmed({sent}, 5s);
  {
    // Returned unsettled kLimit times, as by consumers that died holding it.
    Connection connection(Settings());
    for (int i = 0; i < kLimit; ++i) ASSERT_EQ(connection.Get(topology.spec().name, 1, false).size(), 1u);
  }

  Recorder recorder;
  RunningConsumer consumer(Settings(), topology.spec(), 5, [&](const Delivery& d) {
    recorder.Add(d);
    if (recorder.Size() == 1) throw std::runtime_error("transient failure");  // one more failure
    return Disposition::kAck;
  });
  ASSERT_TRUE(Eventually([&] { return recorder.Size() >= 2; }));
  consumer.Stop();

  // Renewed before each of the two attempts: returned kLimit times, then failed once more.
  const std::vector<Delivery> seen = recorder.Snapshot();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(Renewals(seen[0].message), 1);
  EXPECT_EQ(Renewals(seen[1].message), 2);
  for (const Delivery& delivery : seen) {
    EXPECT_EQ(delivery.message.message_id, sent.message_id);
    EXPECT_EQ(delivery.message.exchange, sent.exchange);
    EXPECT_EQ(delivery.message.routing_key, "thing.updated");
    EXPECT_EQ(delivery.message.body, sent.body);
    EXPECT_EQ(Header(delivery.message, "traceparent"), Header(sent, "traceparent"));
  }
  Connection connection(Settings());
  EXPECT_TRUE(connection.Get(topology.Dlq(), 10, true).empty());
  EXPECT_TRUE(connection.Get(topology.spec().name, 10, true).empty());
}

TEST(AmqpReplayTest, ReplayMovesDeadLettersBackToTheOriginalQueue) {
  Topology topology;
  const std::vector<Message> sent = {topology.MakeMessage("thing.created"),
                                     topology.MakeMessage("thing.updated")};
  Connection(Settings()).PublishConfirmed(sent, 5s);

  // Dead-letters every message the first time it is seen and accepts it afterwards.
  Recorder accepted;
  std::mutex mutex;
  std::set<std::string> rejected;
  RunningConsumer consumer(Settings(), topology.spec(), 5, [&](const Delivery& d) {
    {
      std::lock_guard lock(mutex);
      if (rejected.insert(d.message.message_id).second) {
        return Disposition::kDeadLetter;
      }
    }
    accepted.Add(d);
    return Disposition::kAck;
  });

  Connection connection(Settings());
  ASSERT_TRUE(Eventually([&] { return connection.Get(topology.Dlq(), 10, false).size() == 2; }));
  EXPECT_EQ(ReplayDeadLetters(Settings(), topology.spec().name, 1), 1u);  // honours max
  EXPECT_EQ(ReplayDeadLetters(Settings(), topology.spec().name, 10), 1u);
  ASSERT_TRUE(Eventually([&] { return accepted.Size() == 2; }));
  consumer.Stop();

  const std::vector<Delivery> got = accepted.Snapshot();
  for (const Message& message : sent) {
    auto it = std::find_if(got.begin(), got.end(),
                           [&](const Delivery& d) { return d.message.message_id == message.message_id; });
    ASSERT_NE(it, got.end());
    ExpectSameMessage(message, it->message);
    EXPECT_EQ(it->delivery_count, 0);  // broker bookkeeping is not carried over
    EXPECT_FALSE(Header(it->message, "x-first-death-queue").has_value());
  }
  EXPECT_TRUE(connection.Get(topology.Dlq(), 10, false).empty());
  EXPECT_EQ(ReplayDeadLetters(Settings(), topology.spec().name, 10), 0u);
}

TEST(AmqpConsumerTest, ReconnectsAfterTheBrokerClosesTheConnection) {
  Topology topology;
  const std::string name = "kpo_messaging_test_consumer_" + core::RandomHex(4);
  Recorder recorder;
  RunningConsumer consumer(Settings(name), topology.spec(), 5, AckAndRecord(recorder));

  const Message first = topology.MakeMessage();
  Connection(Settings()).PublishConfirmed({first}, 5s);
  ASSERT_TRUE(Eventually([&] { return recorder.Size() == 1; }));

  std::optional<std::string> pid;
  ASSERT_TRUE(Eventually([&] { return (pid = ConnectionPid(name)).has_value(); }));
  RunCommand("rabbitmqctl -q close_connection '" + *pid + "' test >/dev/null 2>&1");
  // A new connection of the consumer shows up under the same name with a different pid.
  ASSERT_TRUE(Eventually([&] {
    const auto now = ConnectionPid(name);
    return now.has_value() && *now != *pid;
  }));

  const Message second = topology.MakeMessage();
  Connection(Settings()).PublishConfirmed({second}, 5s);
  ASSERT_TRUE(Eventually([&] { return recorder.Size() == 2; }));
  consumer.Stop();
  EXPECT_EQ(recorder.Snapshot()[1].message.message_id, second.message_id);
}

// Between two dead letters the publisher's connection idles, reads no heartbeat, and the broker closes
// it (here: at once, by rabbitmqctl). The next dead letter still goes out with its reason, not as a
// plain reject that forgets why.
TEST(AmqpConsumerTest, ADeadLetterAfterTheBrokerClosedTheIdleConnectionStillGoesOut) {
  Topology topology;
  const std::string name = "kpo_messaging_test_dead_letters_" + core::RandomHex(4);
  DeadLetterPublisher publisher(Settings(name), topology.spec().name);
  Delivery first{.message = topology.MakeMessage(), .failure = "first reason"};
  ASSERT_TRUE(publisher.Publish(first));

  std::optional<std::string> pid;
  ASSERT_TRUE(Eventually([&] { return (pid = ConnectionPid(name + "-dead-letters")).has_value(); }));
  // Returns once the broker has sent its connection.close, which the idle client has not read.
  RunCommand("rabbitmqctl -q close_connection '" + *pid + "' test >/dev/null 2>&1");

  Delivery second{.message = topology.MakeMessage(), .failure = "second reason"};
  EXPECT_TRUE(publisher.Publish(second));
  Connection connection(Settings());
  std::vector<Delivery> dead;
  ASSERT_TRUE(Eventually([&] {
    for (Delivery& delivery : connection.Get(topology.Dlq(), 10, true)) dead.push_back(std::move(delivery));
    return dead.size() >= 2;
  }));
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(dead[1].message.message_id, second.message.message_id);
  EXPECT_EQ(Header(dead[1].message, kErrorHeader), "second reason");
}

TEST(AmqpConsumerTest, RedeclaresWhenTheQueueIsDeletedUnderIt) {
  Topology topology;
  Recorder recorder;
  RunningConsumer consumer(Settings(), topology.spec(), 5, AckAndRecord(recorder));
  Connection connection(Settings());
  ASSERT_EQ(connection.PublishConfirmed({topology.MakeMessage()}, 5s), std::vector<bool>({true}));
  ASSERT_TRUE(Eventually([&] { return recorder.Size() == 1; }));

  // The broker cancels the consumer; it reconnects and declares the queue and bindings again.
  // Messages published while the deleted quorum queue is still being torn down can be confirmed
  // and then vanish with it (seen on 3.10), so keep publishing until one reaches the consumer.
  connection.DeleteQueue(topology.spec().name);
  ASSERT_TRUE(Eventually([&] {
    connection.PublishConfirmed({topology.MakeMessage()}, 5s);
    return Eventually([&] { return recorder.Size() >= 2; }, 500ms);
  }));
  consumer.Stop();
}

// Consumer priorities (x-priority), which the services' first consumer thread takes so that its
// batches stay whole below the rate it keeps up with.
TEST(AmqpConsumerTest, AHigherPriorityConsumerTakesEveryMessageWhileItHasRoom) {
  Topology topology;
  Recorder high;
  Recorder low;
  RunningConsumer low_consumer(Settings(), topology.spec(), 32, AckAndRecord(low));
  RunningConsumer high_consumer(Settings(), topology.spec(), 32, AckAndRecord(high), 1);
  Connection connection(Settings());
  ASSERT_TRUE(Eventually([&] { return connection.QueueConsumers(topology.spec().name) == 2; }));

  std::vector<Message> sent;
  for (int i = 0; i < 20; ++i) sent.push_back(topology.MakeMessage());
  connection.PublishConfirmed(sent, 5s);
  ASSERT_TRUE(Eventually([&] { return high.Size() + low.Size() == 20; }));
  high_consumer.Stop();
  low_consumer.Stop();
  EXPECT_EQ(high.Size(), 20u);  // dealt out round-robin, each would have about 10
  EXPECT_EQ(low.Size(), 0u);
}

TEST(AmqpConsumerTest, MessagesOverflowToALowerPriorityConsumerWhileTheHigherOneIsFull) {
  Topology topology;
  Recorder high;
  Recorder low;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  RunningConsumer low_consumer(Settings(), topology.spec(), 32, AckAndRecord(low));
  // Holds its first delivery unacked until released: with a prefetch of 2 it is full at 2.
  RunningConsumer high_consumer(
      Settings(), topology.spec(), 2,
      [&](const Delivery& delivery) {
        high.Add(delivery);
        released.wait();
        return Disposition::kAck;
      },
      1);
  // Released before high_consumer stops (destroyed first), whichever way the test ends.
  struct ReleaseOnExit {
    std::promise<void>& promise;
    bool done = false;
    void operator()() {
      if (!std::exchange(done, true)) promise.set_value();
    }
    ~ReleaseOnExit() { (*this)(); }
  } release_high{release};
  Connection connection(Settings());
  ASSERT_TRUE(Eventually([&] { return connection.QueueConsumers(topology.spec().name) == 2; }));

  std::vector<Message> sent;
  for (int i = 0; i < 6; ++i) sent.push_back(topology.MakeMessage());
  connection.PublishConfirmed(sent, 5s);
  ASSERT_TRUE(Eventually([&] { return low.Size() == 4; }));
  // The higher one's thread may record its first delivery after the lower one has its four (it did
  // under the sanitizers); the second waits in its window behind the first.
  ASSERT_TRUE(Eventually([&] { return high.Size() == 1; }));
  release_high();
  ASSERT_TRUE(Eventually([&] { return high.Size() == 2; }));
  high_consumer.Stop();
  low_consumer.Stop();
  EXPECT_EQ(low.Size(), 4u);
}

TEST(AmqpConsumerTest, StopInterruptsTheBackoff) {
  AmqpSettings settings;
  settings.url = "amqp://guest:guest@127.0.0.1:1/";
  QueueSpec spec{"unused", "unused", {}, 5};
  Consumer consumer(settings, spec, 1);
  std::atomic<bool> done = false;
  std::jthread thread([&](std::stop_token stop) {
    consumer.Run([](const Delivery&) { return Disposition::kAck; }, std::move(stop));
    done = true;
  });
  // Long enough for the backoff to have grown past a second.
  std::this_thread::sleep_for(1500ms);
  const auto stopped_at = std::chrono::steady_clock::now();
  thread.request_stop();
  ASSERT_TRUE(Eventually([&] { return done.load(); }, 2s));
  EXPECT_LT(std::chrono::steady_clock::now() - stopped_at, 500ms);
}

}  // namespace
}  // namespace kpo::messaging
