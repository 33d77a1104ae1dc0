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

TEST(Subscription, AfterACompleteReplayLiveEventsFollowWithoutRepeats) {
  Subscription subscription(std::make_shared<http::EventStream>(), 10);
  subscription.Deliver(12, "{\"n\":12}");  // live while replaying: held back
  subscription.Deliver(13, "{\"n\":13}");
  subscription.FinishReplay({{11, "{\"n\":11}"}, {12, "{\"n\":12}"}});
  subscription.Deliver(12, "{\"n\":12}");  // the poller catching up with what the replay sent
  subscription.Deliver(14, "{\"n\":14}");
  EXPECT_EQ(Sent(*subscription.Stream()),
            FormatOrderEvent(11, "{\"n\":11}") + FormatOrderEvent(12, "{\"n\":12}") +
                FormatOrderEvent(13, "{\"n\":13}") + FormatOrderEvent(14, "{\"n\":14}"));
  EXPECT_FALSE(subscription.Stream()->Take().closed);
}

// A client that missed more than one stream replays gets the oldest part, then the stream ends:
// sending live events after it would move the client's Last-Event-ID past the events not yet sent.
TEST(Subscription, AReplayCutShortEndsTheStreamWithoutLiveEvents) {
  Subscription subscription(std::make_shared<http::EventStream>(), 10);
  subscription.Deliver(5000, "{\"n\":5000}");
  subscription.FinishReplay({{11, "{\"n\":11}"}, {12, "{\"n\":12}"}}, /*complete=*/false);
  subscription.Deliver(5001, "{\"n\":5001}");
  const auto batch = subscription.Stream()->Take();
  std::string sent;
  for (const auto& chunk : batch.chunks) sent += chunk;
  EXPECT_TRUE(batch.closed);
  EXPECT_EQ(sent, FormatOrderEvent(11, "{\"n\":11}") + FormatOrderEvent(12, "{\"n\":12}") + "retry: 100\n\n");
}

TEST(LiveUpdates, AUserMayHoldOnlySoManyStreamsAtOnce) {
  LiveUpdates live({.database_url = "", .max_streams_per_user = 2});
  auto first = live.Subscribe("user-a", 0);
  auto second = live.Subscribe("user-a", 0);
  EXPECT_TRUE(first && second);
  EXPECT_EQ(live.Subscribe("user-a", 0), nullptr) << "a third stream of the same user";
  EXPECT_NE(live.Subscribe("user-b", 0), nullptr) << "another user is not held to user-a's count";
  EXPECT_EQ(live.Subscribers(), 3U);
}

// A stream whose client left counts no more, even before the poller forgets it (it may be down
// with the database while the browser retries).
TEST(LiveUpdates, AStreamThatEndedDoesNotCountTowardsTheCap) {
  LiveUpdates live({.database_url = "", .max_streams_per_user = 1});
  auto first = live.Subscribe("user-a", 0);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(live.Subscribe("user-a", 0), nullptr);
  first->Stream()->Abandon();
  EXPECT_NE(live.Subscribe("user-a", 0), nullptr);
  EXPECT_EQ(live.Subscribers(), 1U);
}

TEST(LiveUpdates, ACapOfZeroMeansNoCap) {
  LiveUpdates live({.database_url = "", .max_streams_per_user = 0});
  for (int i = 0; i < 100; ++i) ASSERT_NE(live.Subscribe("user-a", 0), nullptr);
}

}  // namespace
}  // namespace kpo::orders
