// kpo-dlq's commands against a real RabbitMQ (RABBITMQ_URL): dead letters made by a consumer,
// then counted, listed, shown, replayed and discarded by message id.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "dlq/commands.hpp"
#include "messaging/amqp_mqtest_support.hpp"

namespace kpo::dlq {
namespace {

using namespace messaging;
using namespace messaging::mqtest;

struct Output {
  int status = -1;
  std::string text;
};

Output RunTool(const std::vector<std::string>& args) {
  std::ostringstream out;
  const int status = Run(Parse(args), Settings("kpo-dlq-test"), out);
  return {status, out.str()};
}

// Three messages dead-lettered with a reason each, nothing else in the DLQ.
class DlqTool : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i) sent_.push_back(topology_.MakeMessage());
    Connection(Settings()).PublishConfirmed(sent_, 5s);
    RunningConsumer consumer(Settings("dlq-test-service"), topology_.spec(), 5, [&](const Delivery& d) {
      d.failure = "bad \"amount\" in " + d.message.message_id;
      return Disposition::kDeadLetter;
    });
    Connection connection(Settings());
    ASSERT_TRUE(Eventually([&] { return connection.QueueDepth(topology_.Dlq()) == 3; }));
  }
  std::string Queue() const { return topology_.spec().name; }
  std::vector<Delivery> Dlq() { return Connection(Settings()).Get(topology_.Dlq(), 10, false); }

  Topology topology_;
  std::vector<Message> sent_;
};

TEST_F(DlqTool, QueuesPrintsEachDepthAndMissingQueues) {
  const auto out = RunTool({"queues", "--queue", Queue(), "--queue", "no.such.queue"});
  EXPECT_EQ(out.status, 0);
  EXPECT_NE(out.text.find(topology_.Dlq() + "  3"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("no.such.queue.dlq"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("missing"), std::string::npos) << out.text;
}

TEST_F(DlqTool, ListShowsTheReasonAsATableOrJsonLines) {
  const auto table = RunTool({"list", "--queue", Queue()});
  EXPECT_EQ(table.status, 0);
  EXPECT_EQ(table.text.rfind("QUEUE", 0), 0u) << table.text;
  for (const auto& m : sent_) EXPECT_NE(table.text.find(m.message_id), std::string::npos);
  EXPECT_NE(table.text.find("dlq-test-service"), std::string::npos) << table.text;

  const auto json = RunTool({"list", "--json", "--queue", Queue()});
  EXPECT_EQ(std::count(json.text.begin(), json.text.end(), '\n'), 3) << json.text;
  EXPECT_NE(json.text.find(R"("error":"bad \"amount\" in )" + sent_[0].message_id), std::string::npos)
      << json.text;
  EXPECT_EQ(Dlq().size(), 3u);  // left in place
}

TEST_F(DlqTool, ShowPrintsOneDeadLetterOrFailsForAnUnknownId) {
  const auto out = RunTool({"show", sent_[1].message_id, "--queue", Queue()});
  EXPECT_EQ(out.status, 0);
  EXPECT_NE(out.text.find(sent_[1].body), std::string::npos) << out.text;
  EXPECT_EQ(out.text.find(sent_[0].message_id), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("header x-kpo-error: bad \"amount\""), std::string::npos) << out.text;
  EXPECT_EQ(RunTool({"show", "00000000-0000-4000-8000-000000000000", "--queue", Queue()}).status, 1);
}

// The others go back with basic.nack(requeue), and the quorum queue does not keep their order
// here; none is lost.
TEST_F(DlqTool, DiscardRemovesOnlyThatMessageAndKeepsTheOthers) {
  EXPECT_EQ(RunTool({"discard", sent_[1].message_id, "--queue", Queue()}).status, 0);
  std::set<std::string> left;
  for (const auto& d : Dlq()) left.insert(d.message.message_id);
  EXPECT_EQ(left, (std::set<std::string>{sent_[0].message_id, sent_[2].message_id}));
  EXPECT_EQ(RunTool({"discard", sent_[1].message_id, "--queue", Queue()}).status, 1);
}

TEST_F(DlqTool, ReplayOneSendsItBackToWhereItWasPublished) {
  EXPECT_EQ(RunTool({"replay", sent_[2].message_id, "--queue", Queue()}).status, 0);
  Connection connection(Settings());
  std::vector<Delivery> back;
  ASSERT_TRUE(Eventually([&] {
    for (auto& d : connection.Get(Queue(), 10, true)) back.push_back(std::move(d));
    return !back.empty();
  }));
  ASSERT_EQ(back.size(), 1u);
  ExpectSameMessage(sent_[2], back[0].message);
  EXPECT_FALSE(Header(back[0].message, kErrorHeader).has_value());  // a fresh start
  EXPECT_EQ(Dlq().size(), 2u);
}

TEST_F(DlqTool, ReplayAllEmptiesTheDlq) {
  const auto out = RunTool({"replay", "--all", "--queue", Queue()});
  EXPECT_EQ(out.status, 0);
  EXPECT_NE(out.text.find("replayed 3 message(s)"), std::string::npos) << out.text;
  EXPECT_TRUE(Dlq().empty());
}

}  // namespace
}  // namespace kpo::dlq
