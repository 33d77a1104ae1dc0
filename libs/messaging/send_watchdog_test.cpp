#include "messaging/send_watchdog.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <thread>

namespace kpo::messaging {
namespace {

using namespace std::chrono_literals;

// A connected pair of sockets whose peer never reads: a blocking send fills the buffers and waits.
class SocketPair : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_.data()), 0);
    const int small = 4096;
    ::setsockopt(fds_[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  }
  void TearDown() override {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  // Sends until a send fails; returns its errno.
  int SendUntilItFails() const {
    const std::array<char, 4096> chunk{};
    while (::send(fds_[0], chunk.data(), chunk.size(), MSG_NOSIGNAL) > 0) {
    }
    return errno;
  }

  std::array<int, 2> fds_{};
};

TEST_F(SocketPair, ASendBlockedPastTheDeadlineFails) {
  SendWatchdog watchdog;
  {
    const SendWatchdog::Armed armed(watchdog, fds_[0], SendWatchdog::Clock::now() + 200ms);
    EXPECT_EQ(SendUntilItFails(), EPIPE);  // without the watchdog this send would wait forever
  }
  EXPECT_TRUE(watchdog.Fired());
}

TEST_F(SocketPair, AGuardGoneBeforeItsDeadlineLeavesTheSocketAlone) {
  SendWatchdog watchdog;
  const auto deadline = SendWatchdog::Clock::now() + 50ms;
  { const SendWatchdog::Armed armed(watchdog, fds_[0], deadline); }
  // What is tested is that the deadline passes without effect, so it has to pass: the wait is the
  // subject of the test, not a stand-in for an event.
  std::this_thread::sleep_until(deadline + 200ms);
  EXPECT_FALSE(watchdog.Fired());
  const char byte = 'x';
  EXPECT_EQ(::send(fds_[0], &byte, 1, MSG_NOSIGNAL), 1) << "the socket was shut down";
}

// The watchdog sleeps until the deadline it knows; a guard armed with a sooner one must wake it,
// or the send would wait out the old deadline (10 s here).
TEST_F(SocketPair, ASoonerDeadlineThanTheOneWaitedForIsKept) {
  SendWatchdog watchdog;
  { const SendWatchdog::Armed later(watchdog, fds_[0], SendWatchdog::Clock::now() + 10s); }
  const auto started = SendWatchdog::Clock::now();
  {
    const SendWatchdog::Armed sooner(watchdog, fds_[0], started + 200ms);
    EXPECT_EQ(SendUntilItFails(), EPIPE);
  }
  EXPECT_LT(SendWatchdog::Clock::now() - started, 5s) << "the watchdog slept through the sooner deadline";
  EXPECT_TRUE(watchdog.Fired());
}

// A guard re-armed with a later deadline (as a relay does batch after batch) is not woken for: the
// watchdog, waking at the earlier deadline, finds the later one and waits again instead of firing.
TEST_F(SocketPair, ALaterDeadlineAfterASoonerOneIsNotActedOnEarly) {
  SendWatchdog watchdog;
  const auto started = SendWatchdog::Clock::now();
  { const SendWatchdog::Armed sooner(watchdog, fds_[0], started + 100ms); }
  {
    const SendWatchdog::Armed later(watchdog, fds_[0], started + 400ms);
    EXPECT_EQ(SendUntilItFails(), EPIPE);
  }
  EXPECT_GE(SendWatchdog::Clock::now() - started, 400ms) << "fired at the sooner, disarmed deadline";
  EXPECT_TRUE(watchdog.Fired());
}

}  // namespace
}  // namespace kpo::messaging
