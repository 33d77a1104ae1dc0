// The hand-over from replayed to live events of one stream, without a database.
#include "orders/live/live_updates.hpp"

#include <gtest/gtest.h>

namespace kpo::orders {
namespace {

std::string Sent(http::EventStream& stream) {
  std::string sent;
  for (const auto& chunk : stream.Take().chunks) sent += chunk;
  return sent;
}

// An event at position (tx, id); its JSON names the id.
OrderEvent Event(std::int64_t tx, std::int64_t id) {
  return {.position = {tx, id}, .user_id = "user-a", .order_json = "{\"n\":" + std::to_string(id) + "}"};
}

std::string Formatted(std::initializer_list<OrderEvent> events) {
  std::string text;
  for (const auto& event : events) text += FormatOrderEvent(event.position.id, event.order_json);
  return text;
}

TEST(Subscription, AfterACompleteReplayLiveEventsFollowWithoutRepeats) {
  Subscription subscription(std::make_shared<http::EventStream>());
  subscription.Deliver(Event(7, 12));  // live while replaying: held back
  subscription.Deliver(Event(8, 13));
  subscription.FinishReplay(EventPosition{5, 10}, {Event(6, 11), Event(7, 12)});
  subscription.Deliver(Event(7, 12));  // the poller catching up with what the replay sent
  subscription.Deliver(Event(9, 14));
  EXPECT_EQ(Sent(*subscription.Stream()),
            Formatted({Event(6, 11), Event(7, 12), Event(8, 13), Event(9, 14)}));
  EXPECT_FALSE(subscription.Stream()->Take().closed);
}

// Positions, not ids, say what the client has: an event with a lower id than its Last-Event-ID that
// committed later is still sent, and one at or before its position is not sent again (a replica
// whose poller lags behind the one the client came from).
TEST(Subscription, WhatTheClientHasIsJudgedByPositionNotId) {
  Subscription subscription(std::make_shared<http::EventStream>());
  subscription.Deliver(Event(4, 10));  // the client's own Last-Event-ID, from a lagging poller
  subscription.Deliver(Event(5, 9));   // lower id, later transaction: the client has not seen it
  subscription.FinishReplay(EventPosition{4, 10}, {Event(5, 9)});
  subscription.Deliver(Event(5, 9));
  subscription.Deliver(Event(6, 8));
  EXPECT_EQ(Sent(*subscription.Stream()), Formatted({Event(5, 9), Event(6, 8)}));
}

TEST(Subscription, ANewStreamSendsEveryLiveEvent) {
  Subscription subscription(std::make_shared<http::EventStream>());
  subscription.Deliver(Event(3, 2));
  subscription.FinishReplay(std::nullopt, {});
  subscription.Deliver(Event(4, 1));
  EXPECT_EQ(Sent(*subscription.Stream()), Formatted({Event(3, 2), Event(4, 1)}));
}

// A client that missed more than one stream replays gets the oldest part, then the stream ends:
// sending live events after it would move the client's Last-Event-ID past the events not yet sent.
TEST(Subscription, AReplayCutShortEndsTheStreamWithoutLiveEvents) {
  Subscription subscription(std::make_shared<http::EventStream>());
  subscription.Deliver(Event(900, 5000));
  subscription.FinishReplay(EventPosition{5, 10}, {Event(6, 11), Event(7, 12)}, /*complete=*/false);
  subscription.Deliver(Event(901, 5001));
  const auto batch = subscription.Stream()->Take();
  std::string sent;
  for (const auto& chunk : batch.chunks) sent += chunk;
  EXPECT_TRUE(batch.closed);
  EXPECT_EQ(sent, Formatted({Event(6, 11), Event(7, 12)}) + "retry: 100\n\n");
}

TransactionBounds Bounds(std::int64_t xmin, std::int64_t xmax) {
  return {.xmin = xmin, .xmax = xmax, .running = {}};
}

// Before the first event the cursor is the first poll's {xmin, 0}; on an idle server xmax equals it,
// and taking that for a fall reset the poller ten times a second until the first order change.
TEST(LiveUpdates, TransactionIdsWentBackOnlyBelowWhatWasFollowed) {
  const EventPosition start{.tx = 500, .id = 0};
  EXPECT_FALSE(TransactionIdsWentBack(Bounds(500, 500), start));  // idle server
  EXPECT_FALSE(TransactionIdsWentBack(Bounds(500, 503), start));
  EXPECT_TRUE(TransactionIdsWentBack(Bounds(480, 499), start));

  const EventPosition after_event{.tx = 500, .id = 42};  // transaction 500 committed
  EXPECT_FALSE(TransactionIdsWentBack(Bounds(501, 501), after_event));
  EXPECT_TRUE(TransactionIdsWentBack(Bounds(500, 500), after_event));
  EXPECT_TRUE(TransactionIdsWentBack(Bounds(10, 12), after_event));
}

TEST(LiveUpdates, AUserMayHoldOnlySoManyStreamsAtOnce) {
  LiveUpdates live({.database_url = "", .max_streams_per_user = 2});
  auto first = live.Subscribe("user-a");
  auto second = live.Subscribe("user-a");
  EXPECT_TRUE(first && second);
  EXPECT_EQ(live.Subscribe("user-a"), nullptr) << "a third stream of the same user";
  EXPECT_NE(live.Subscribe("user-b"), nullptr) << "another user is not held to user-a's count";
  EXPECT_EQ(live.Subscribers(), 3U);
}

// A stream whose client left counts no more, even before the poller forgets it (it may be down
// with the database while the browser retries).
TEST(LiveUpdates, AStreamThatEndedDoesNotCountTowardsTheCap) {
  LiveUpdates live({.database_url = "", .max_streams_per_user = 1});
  auto first = live.Subscribe("user-a");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(live.Subscribe("user-a"), nullptr);
  first->Stream()->Abandon();
  EXPECT_NE(live.Subscribe("user-a"), nullptr);
  EXPECT_EQ(live.Subscribers(), 1U);
}

TEST(LiveUpdates, ACapOfZeroMeansNoCap) {
  LiveUpdates live({.database_url = "", .max_streams_per_user = 0});
  for (int i = 0; i < 100; ++i) ASSERT_NE(live.Subscribe("user-a"), nullptr);
}

}  // namespace
}  // namespace kpo::orders
