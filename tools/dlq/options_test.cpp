#include "dlq/options.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace kpo::dlq {
namespace {

TEST(DlqOptions, HelpWinsOverEverythingElse) {
  EXPECT_EQ(Parse({"--help"}).command, "help");
  EXPECT_EQ(Parse({"replay", "-h"}).command, "help");
}

TEST(DlqOptions, DefaultsToTheContractsQueuesAndATable) {
  const auto options = Parse({"queues"});
  EXPECT_EQ(options.queues, kDefaultQueues);
  EXPECT_FALSE(options.json);
}

TEST(DlqOptions, TakeQueuesJsonMaxAndAMessageId) {
  const auto options = Parse({"--json", "show", "abc", "--queue", "a", "-q", "b", "--max", "7"});
  EXPECT_EQ(options.command, "show");
  EXPECT_EQ(options.message_id, "abc");
  EXPECT_EQ(options.queues, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(options.json);
  EXPECT_EQ(options.max, 7u);
  EXPECT_TRUE(Parse({"replay", "--all"}).all);
}

TEST(DlqOptions, ADeadLetterQueuesOwnNameNamesItsWorkQueue) {
  // The alert DeadLettersWaiting and the broker's UI show the DLQ's name.
  EXPECT_EQ(Parse({"list", "--queue", "payments.order-created.dlq"}).queues,
            (std::vector<std::string>{"payments.order-created"}));
  EXPECT_EQ(Parse({"list", "-q", "orders.payment-results"}).queues,
            (std::vector<std::string>{"orders.payment-results"}));
  EXPECT_EQ(Parse({"list", "-q", ".dlq"}).queues, (std::vector<std::string>{".dlq"}));
}

TEST(DlqOptions, RefuseWhatTheyDoNotUnderstand) {
  for (const auto& args : std::vector<std::vector<std::string>>{{},
                                                                {"frobnicate"},
                                                                {"show"},
                                                                {"discard", "a", "b"},
                                                                {"replay"},
                                                                {"replay", "a", "--all"},
                                                                {"discard", "--all"},
                                                                {"queues", "extra"},
                                                                {"list", "--max", "0"},
                                                                {"list", "--max"},
                                                                {"list", "--bogus"}}) {
    EXPECT_THROW(Parse(args), std::invalid_argument) << (args.empty() ? "" : args[0]);
  }
}

}  // namespace
}  // namespace kpo::dlq
