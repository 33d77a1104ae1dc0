// The outbox relay against a real PostgreSQL (KPO_TEST_DATABASE_URL, default orders_test: the
// outbox is made in a schema of the test's own) and RabbitMQ (RABBITMQ_URL).
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "db/connection.hpp"
#include "db/migrations.hpp"
#include "db/test_database.hpp"
#include "messaging/amqp_mqtest_support.hpp"
#include "messaging/outbox.hpp"

namespace kpo::messaging {
namespace {

using namespace mqtest;

class OutboxRelayTest : public ::testing::Test {
 protected:
  OutboxRelayTest() : schema_("relay_" + core::RandomHex(6)) {
    const std::string base = db::TestDatabaseUrl();
    url_ = base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema_;
    admin_.ExecScript("CREATE SCHEMA " + schema_);
    db::Connection db(url_, {});
    db::Migrate(db, {OutboxSchema()}, "outbox-relay-test");
  }
  ~OutboxRelayTest() override { admin_.ExecScript("DROP SCHEMA " + schema_ + " CASCADE"); }

  RelayOptions Options(std::shared_ptr<OutboxHandoff> handoff) const {
    RelayOptions options;
    options.database_url = url_;
    options.amqp = Settings("outbox-relay-test");
    options.handoff = std::move(handoff);
    options.poll_interval = std::chrono::milliseconds(20);
    options.vacuum_interval = std::chrono::milliseconds(0);
    return options;
  }

  void Enqueue(const std::vector<Message>& messages, OutboxHandoff* handoff) {
    db::Connection db(url_, {});
    db::Transaction tx(db);
    EnqueueOutbox(tx, messages, handoff);
    tx.Commit();
  }

  std::int64_t OutboxRows() {
    db::Connection db(url_, {});
    return db.Exec("SELECT count(*) AS n FROM outbox").Int(0, "n");
  }

  // Every message in the queue, by message_id, with how often it came.
  std::map<std::string, int> Drain() {
    std::map<std::string, int> seen;
    Connection connection(Settings());
    for (;;) {
      auto got = connection.Get(topology_.spec().name, 50, true);
      if (got.empty()) return seen;
      for (const Delivery& delivery : got) ++seen[delivery.message.message_id];
    }
  }

  // Made on the test's thread before any relay logs (see RunningConsumer: TSan cannot see spdlog make it).
  std::shared_ptr<spdlog::logger> logger_ = spdlog::default_logger();
  std::string schema_;
  std::string url_;
  db::Connection admin_{db::TestDatabaseUrl(), {}};
  Topology topology_;
};

TEST_F(OutboxRelayTest, HandedMessagesArePublishedOnceAndTheirRowsDeleted) {
  auto handoff = std::make_shared<OutboxHandoff>();
  std::vector<Message> messages;
  for (int i = 0; i < 20; ++i) messages.push_back(topology_.MakeMessage());
  Enqueue(messages, handoff.get());
  EXPECT_EQ(handoff->Held(100)->size(), 20U);

  // Small batches, and rows any age may be polled: while the first batch is published the other 15
  // wait in the hand-off, and the poll must leave them to it.
  auto options = Options(handoff);
  options.batch_size = 5;
  options.orphan_age = std::chrono::milliseconds(0);
  options.delete_delay = std::chrono::milliseconds(50);
  std::jthread relay([&](std::stop_token stop) { OutboxRelay(options).Run(std::move(stop)); });

  // A row is deleted only after its confirm, so with none left every publish is in the queue.
  ASSERT_TRUE(Eventually([&] { return OutboxRows() == 0; }));
  EXPECT_TRUE(Eventually([&] { return handoff->Held(100)->empty(); }));
  const auto seen = Drain();
  EXPECT_EQ(seen.size(), messages.size());
  for (const Message& message : messages) EXPECT_EQ(seen.count(message.message_id), 1U) << message.message_id;
  for (const auto& [id, times] : seen) EXPECT_EQ(times, 1) << id;
}

TEST_F(OutboxRelayTest, TwoRelaysOfAProcessPublishEachHandedMessageOnce) {
  auto handoff = std::make_shared<OutboxHandoff>();
  auto options = Options(handoff);
  options.batch_size = 7;
  // Rows are committed while the relays run: with an orphan age of 0 a poll between a commit and its
  // hand-off (AfterCommit) would take the row too. The relays' sharing of the hand-off is the point.
  options.orphan_age = std::chrono::milliseconds(60'000);
  std::jthread first([&](std::stop_token stop) { OutboxRelay(options).Run(std::move(stop)); });
  std::jthread second([&](std::stop_token stop) { OutboxRelay(options).Run(std::move(stop)); });
  std::vector<Message> messages;
  for (int round = 0; round < 10; ++round) {
    std::vector<Message> committed;
    for (int i = 0; i < 15; ++i) committed.push_back(topology_.MakeMessage());
    Enqueue(committed, handoff.get());
    messages.insert(messages.end(), committed.begin(), committed.end());
  }
  ASSERT_TRUE(Eventually([&] { return OutboxRows() == 0; }));
  const auto seen = Drain();
  EXPECT_EQ(seen.size(), messages.size());
  for (const auto& [id, times] : seen) EXPECT_EQ(times, 1) << id;
}

TEST_F(OutboxRelayTest, StoppingDeletesWhatTheBrokerConfirmedAndRecordsItsSendTime) {
  auto handoff = std::make_shared<OutboxHandoff>();
  auto options = Options(handoff);
  options.delete_delay = std::chrono::milliseconds(600'000);  // only the stop deletes
  std::mutex mutex;
  std::map<std::string, std::string> recorded;  // message_id → sent_at
  options.on_published = [&](db::Transaction&, const std::vector<PublishedMessage>& published) {
    std::lock_guard lock(mutex);
    for (const auto& each : published) recorded.emplace(each.message.message_id, each.sent_at);
  };
  std::jthread relay([&](std::stop_token stop) { OutboxRelay(options).Run(std::move(stop)); });
  std::vector<Message> messages;
  for (int i = 0; i < 10; ++i) messages.push_back(topology_.MakeMessage());
  Enqueue(messages, handoff.get());
  Connection connection(Settings());
  std::size_t delivered = 0;
  ASSERT_TRUE(Eventually([&] {
    delivered += connection.Get(topology_.spec().name, 50, true).size();
    return delivered == messages.size();
  }));
  EXPECT_EQ(OutboxRows(), 10);  // confirmed, and waiting for the delete delay
  relay.request_stop();
  relay.join();
  EXPECT_EQ(OutboxRows(), 0);
  EXPECT_TRUE(handoff->Held(100)->empty());
  std::lock_guard lock(mutex);
  ASSERT_EQ(recorded.size(), messages.size());
  for (const auto& [id, sent_at] : recorded) EXPECT_TRUE(core::ParseRfc3339(sent_at).has_value()) << sent_at;
}

TEST_F(OutboxRelayTest, ARowNobodyHoldsIsPolledOnceItIsOlderThanTheOrphanAge) {
  auto handoff = std::make_shared<OutboxHandoff>();
  auto options = Options(handoff);
  options.orphan_age = std::chrono::milliseconds(700);
  std::jthread relay([&](std::stop_token stop) { OutboxRelay(options).Run(std::move(stop)); });

  // Committed without the hand-off: another replica's row, or one whose publish failed.
  const auto message = topology_.MakeMessage();
  const auto committed = std::chrono::steady_clock::now();
  Enqueue({message}, nullptr);
  Connection connection(Settings());
  const auto taken = TakeEventually(connection, topology_.spec().name);
  const auto waited = std::chrono::steady_clock::now() - committed;
  ASSERT_EQ(taken.size(), 1U);
  EXPECT_EQ(taken[0].message.message_id, message.message_id);
  EXPECT_GE(waited, options.orphan_age);
  EXPECT_TRUE(Eventually([&] { return OutboxRows() == 0; }));
}

TEST_F(OutboxRelayTest, WithoutAHandOffEveryRowIsPolledAtOnce) {
  auto options = Options(nullptr);
  options.poll_interval = std::chrono::milliseconds(60'000);  // the first poll, at start, only
  const auto message = topology_.MakeMessage();
  Enqueue({message}, nullptr);
  std::jthread relay([&](std::stop_token stop) { OutboxRelay(options).Run(std::move(stop)); });
  Connection connection(Settings());
  const auto taken = TakeEventually(connection, topology_.spec().name);
  ASSERT_EQ(taken.size(), 1U);
  EXPECT_EQ(taken[0].message.message_id, message.message_id);
  EXPECT_TRUE(Eventually([&] { return OutboxRows() == 0; }));
}

}  // namespace
}  // namespace kpo::messaging
