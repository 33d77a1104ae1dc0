#include "core/retry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

namespace kpo::core {
namespace {

using std::chrono::milliseconds;

// Each delay lies between half its ceiling and the ceiling; the ceilings double up to the maximum.
void ExpectWithin(milliseconds delay, milliseconds ceiling) {
  EXPECT_GE(delay, ceiling / 2);
  EXPECT_LE(delay, ceiling);
}

TEST(Backoff, DoublesUpToTheMaximumAndResets) {
  Backoff backoff(milliseconds(100), milliseconds(350));
  ExpectWithin(backoff.Next(), milliseconds(100));
  ExpectWithin(backoff.Next(), milliseconds(200));
  ExpectWithin(backoff.Next(), milliseconds(350));
  ExpectWithin(backoff.Next(), milliseconds(350));
  backoff.Reset();
  ExpectWithin(backoff.Next(), milliseconds(100));
}

TEST(Backoff, ReconnectsWithinASecondByDefault) {
  Backoff backoff;
  for (int i = 0; i < 20; ++i) EXPECT_LE(backoff.Next(), milliseconds(1000));
}

// Workers that failed together must not all retry at the same moment.
TEST(Backoff, DelaysAtTheSameCeilingDiffer) {
  Backoff backoff(milliseconds(1000), milliseconds(1000));
  const auto first = backoff.Next();
  bool any_differs = false;
  // 1 in 501 per draw to repeat: 50 equal draws in a row would be a broken jitter.
  for (int i = 0; i < 50 && !any_differs; ++i) any_differs = backoff.Next() != first;
  EXPECT_TRUE(any_differs);
}

TEST(WaitFor, ReturnsFalseAtOnceWhenStopIsRequested) {
  std::stop_source source;
  source.request_stop();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(WaitFor(source.get_token(), std::chrono::hours(1)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(WaitFor, ReturnsTrueAfterTheDelay) {
  std::stop_source source;
  EXPECT_TRUE(WaitFor(source.get_token(), milliseconds(1)));
}

TEST(Wakeup, ANotificationBeforeTheWaitIsKept) {
  Wakeup wakeup;
  std::stop_source source;
  wakeup.Notify();
  wakeup.Notify();  // coalesces with the first
  EXPECT_TRUE(wakeup.Wait(source.get_token(), std::chrono::hours(1)));
  EXPECT_FALSE(wakeup.Wait(source.get_token(), milliseconds(1)));
}

TEST(Wakeup, NotifyFromAnotherThreadEndsTheWait) {
  Wakeup wakeup;
  std::stop_source source;
  std::jthread notifier([&] { wakeup.Notify(); });
  EXPECT_TRUE(wakeup.Wait(source.get_token(), std::chrono::hours(1)));
}

TEST(RunWithReconnect, RetriesAFailedSessionUntilStopped) {
  std::stop_source source;
  std::atomic<int> attempts = 0;
  RunWithReconnect("test session", source.get_token(), [&](Backoff& backoff) {
    backoff = Backoff(milliseconds(1), milliseconds(1));
    if (++attempts < 3) throw std::runtime_error("connection refused");
    source.request_stop();
  });
  EXPECT_EQ(attempts.load(), 3);
}

}  // namespace
}  // namespace kpo::core
