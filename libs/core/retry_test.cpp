#include "core/retry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

namespace kpo::core {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesUpToTheMaximumAndResets) {
  Backoff backoff(milliseconds(100), milliseconds(350));
  EXPECT_EQ(backoff.Next(), milliseconds(100));
  EXPECT_EQ(backoff.Next(), milliseconds(200));
  EXPECT_EQ(backoff.Next(), milliseconds(350));
  EXPECT_EQ(backoff.Next(), milliseconds(350));
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), milliseconds(100));
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
