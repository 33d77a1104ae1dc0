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

}  // namespace
}  // namespace kpo::messaging
