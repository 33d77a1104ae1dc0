#include "messaging/outbox_handoff.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace kpo::messaging {
namespace {

using namespace std::chrono_literals;

Message Numbered(int n) {
  Message message;
  message.message_id = "00000000-0000-0000-0000-" + std::to_string(100000000000 + n);
  return message;
}

std::vector<Message> Numbered(int first, int count) {
  std::vector<Message> messages;
  for (int i = first; i < first + count; ++i) messages.push_back(Numbered(i));
  return messages;
}

std::vector<std::string> IdsOf(const std::vector<Message>& messages) {
  std::vector<std::string> ids;
  for (const auto& message : messages) ids.push_back(message.message_id);
  return ids;
}

std::vector<std::string> Ids(const std::vector<OutboxHandoff::Handed>& handed) {
  std::vector<std::string> ids;
  for (const auto& entry : handed) ids.push_back(entry.message.message_id);
  return ids;
}

TEST(OutboxHandoff, MessagesAreTakenOldestFirstAndHeldUntilReleased) {
  OutboxHandoff handoff;
  handoff.Offer(Numbered(0, 3));
  handoff.Offer(Numbered(3, 2));
  const auto first = handoff.Take(4);
  ASSERT_EQ(first.size(), 4U);
  EXPECT_EQ(first.front().message.message_id, Numbered(0).message_id);
  EXPECT_EQ(first.back().message.message_id, Numbered(3).message_id);
  EXPECT_EQ(Ids(handoff.Take(10)), std::vector<std::string>{Numbered(4).message_id});
  EXPECT_TRUE(handoff.Take(10).empty());
  // Taken is still held: the poll must leave their rows alone until the relay releases them.
  EXPECT_EQ(handoff.Held(100)->size(), 5U);
  handoff.Release(IdsOf(Numbered(0, 2)));
  const auto held = handoff.Held(100);
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(held->size(), 3U);
  EXPECT_EQ(std::count(held->begin(), held->end(), Numbered(0).message_id), 0);
  EXPECT_EQ(std::count(held->begin(), held->end(), Numbered(2).message_id), 1);
}

TEST(OutboxHandoff, BeyondItsCapacityMessagesAreNotHeldAndLeftToThePoll) {
  OutboxHandoff handoff(3);
  handoff.Offer(Numbered(0, 5));
  EXPECT_EQ(handoff.Take(10).size(), 3U);
  EXPECT_EQ(handoff.Held(100)->size(), 3U);
  // Room again once released.
  handoff.Release(IdsOf(Numbered(0, 3)));
  handoff.Offer(Numbered(5, 1));
  EXPECT_EQ(Ids(handoff.Take(10)), std::vector<std::string>{Numbered(5).message_id});
}

TEST(OutboxHandoff, AMessageOfferedTwiceIsHandedOnce) {
  OutboxHandoff handoff;
  handoff.Offer(Numbered(0, 2));
  handoff.Offer(Numbered(1, 2));
  EXPECT_EQ(handoff.Take(10).size(), 3U);
}

TEST(OutboxHandoff, TooManyHeldToExcludeIsSaidSo) {
  OutboxHandoff handoff;
  handoff.Offer(Numbered(0, 4));
  EXPECT_TRUE(handoff.Held(4).has_value());
  EXPECT_FALSE(handoff.Held(3).has_value());
}

TEST(OutboxHandoff, AnOfferWakesAWaitingRelay) {
  OutboxHandoff handoff;
  EXPECT_FALSE(handoff.Wait(std::stop_token{}, 1ms));
  std::jthread offerer([&] { handoff.Offer(Numbered(0, 1)); });
  // Far longer than the offer takes: returns on the offer, not on the timeout.
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(handoff.Wait(std::stop_token{}, 20s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

TEST(OutboxHandoff, OneRelayPollsPerPeriod) {
  OutboxHandoff handoff;
  EXPECT_TRUE(handoff.TakePollTurn(60s));
  EXPECT_FALSE(handoff.TakePollTurn(60s));
}

}  // namespace
}  // namespace kpo::messaging
