#include "core/queue_codel.hpp"

#include <gtest/gtest.h>

namespace kpo::core {
namespace {

using namespace std::chrono_literals;
using Clock = QueueCodel::Clock;

class QueueCodelTest : public ::testing::Test {
 protected:
  // `count` requests taken from the queue `every` apart, each having waited `waited`; how many
  // were refused.
  int Serve(QueueCodel& codel, int count, Clock::duration every, Clock::duration waited) {
    int refused = 0;
    for (int i = 0; i < count; ++i) {
      if (codel.Refuse(waited, now_)) ++refused;
      now_ += every;
    }
    return refused;
  }
  Clock::time_point now_ = Clock::time_point{} + 1h;
};

TEST_F(QueueCodelTest, ABurstThatDrainsIsNeverRefused) {
  QueueCodel codel({.target = 5ms, .interval = 100ms, .max_wait = 500ms});
  for (int round = 0; round < 20; ++round) {
    // Within every interval the queue empties once (a request served at once), then a burst waits.
    EXPECT_EQ(Serve(codel, 1, 1ms, 0ms), 0);
    EXPECT_EQ(Serve(codel, 9, 10ms, 200ms), 0);
  }
  EXPECT_FALSE(codel.Overloaded());
}

TEST_F(QueueCodelTest, AStandingQueueRefusesWhatWaitedOverTwiceTheTarget) {
  QueueCodel codel({.target = 5ms, .interval = 100ms, .max_wait = 500ms});
  // The first interval only measures: nothing is refused before the queue has stood for one.
  EXPECT_EQ(Serve(codel, 10, 10ms, 30ms), 0);
  EXPECT_EQ(Serve(codel, 10, 10ms, 30ms), 10);
  EXPECT_TRUE(codel.Overloaded());
  // While overloaded, what waited up to twice the target still runs.
  EXPECT_FALSE(codel.Refuse(10ms, now_));
  EXPECT_TRUE(codel.Refuse(11ms, now_));
}

TEST_F(QueueCodelTest, TheQueueDrainingEndsTheOverloadAfterAnInterval) {
  QueueCodel codel({.target = 5ms, .interval = 100ms, .max_wait = 500ms});
  Serve(codel, 25, 10ms, 30ms);
  ASSERT_TRUE(codel.Overloaded());
  Serve(codel, 10, 10ms, 1ms);  // refusals drained it
  Serve(codel, 1, 10ms, 1ms);
  EXPECT_FALSE(codel.Overloaded());
  EXPECT_EQ(Serve(codel, 10, 10ms, 200ms), 0);  // a burst again, with a queue that just drained
}

TEST_F(QueueCodelTest, AnIdleIntervalIsNotOverload) {
  QueueCodel codel({.target = 5ms, .interval = 100ms, .max_wait = 500ms});
  Serve(codel, 25, 10ms, 30ms);
  ASSERT_TRUE(codel.Overloaded());
  now_ += 10s;  // nobody came
  EXPECT_FALSE(codel.Refuse(1ms, now_));
  now_ += 10s;
  EXPECT_FALSE(codel.Refuse(50ms, now_));
  EXPECT_FALSE(codel.Overloaded());
}

TEST_F(QueueCodelTest, TheHardBoundHoldsInEveryState) {
  QueueCodel codel({.target = 5ms, .interval = 100ms, .max_wait = 500ms});
  EXPECT_TRUE(codel.Refuse(501ms, now_));
  EXPECT_FALSE(codel.Refuse(500ms, now_));
  QueueCodel off({.target = 0ms, .interval = 100ms, .max_wait = 0ms});
  EXPECT_EQ(Serve(off, 100, 10ms, 10s), 0);
}

}  // namespace
}  // namespace kpo::core
