#include "core/retry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

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

TEST(RunWithReconnect, RetriesAFailedSessionUntilStopped) {
  std::stop_source source;
  std::atomic<int> attempts = 0;
  RunWithReconnect("test session", source.get_token(),
                   [&] {
                     if (++attempts < 3) throw std::runtime_error("connection refused");
                     source.request_stop();
                   },
                   {.initial = milliseconds(1), .max = milliseconds(1)});
  EXPECT_EQ(attempts.load(), 3);
}

// The gaps between the starts of a session that fails `failures` times, each after working `works_for`.
std::vector<milliseconds> GapsBetweenAttempts(int failures, milliseconds works_for, ReconnectPolicy policy) {
  std::stop_source source;
  std::vector<std::chrono::steady_clock::time_point> starts;
  RunWithReconnect(
      "test session", source.get_token(),
      [&] {
        starts.push_back(std::chrono::steady_clock::now());
        if (static_cast<int>(starts.size()) > failures) return source.request_stop();
        std::this_thread::sleep_for(works_for);  // the session's work before it fails
        throw std::runtime_error("permission denied for table outbox");
      },
      policy);
  std::vector<milliseconds> gaps;
  for (std::size_t i = 1; i < starts.size(); ++i)
    gaps.push_back(std::chrono::duration_cast<milliseconds>(starts[i] - starts[i - 1]));
  return gaps;
}

// A failure that comes right after connecting, every time, is not a server coming back: the delays
// keep growing to the maximum instead of starting over at each connect.
TEST(RunWithReconnect, ASessionThatFailsSoonAfterStartingBacksOffToTheMaximum) {
  const auto gaps = GapsBetweenAttempts(
      5, milliseconds(0),
      {.initial = milliseconds(20), .max = milliseconds(160), .worked_for = std::chrono::hours(1)});
  ASSERT_EQ(gaps.size(), 5U);
  // Delays are drawn between half the ceiling and the ceiling: 20, 40, 80, 160, 160.
  EXPECT_GE(gaps[3], milliseconds(80));
  EXPECT_GE(gaps[4], milliseconds(80));
}

// A session that worked a while failed for a new reason: it reconnects at the shortest delay again.
TEST(RunWithReconnect, ASessionThatWorkedAWhileReconnectsPromptly) {
  const auto gaps = GapsBetweenAttempts(
      10, milliseconds(30),
      {.initial = milliseconds(1), .max = std::chrono::hours(1), .worked_for = milliseconds(20)});
  ASSERT_EQ(gaps.size(), 10U);
  // 30 ms of work, then at most the initial 1 ms: without the reset the tenth delay alone would be
  // 256-512 ms.
  EXPECT_LT(gaps.back(), milliseconds(30 + 200)) << gaps.back().count();
}

}  // namespace
}  // namespace kpo::core
