#include "gateway/domain/login_throttle.hpp"

#include <gtest/gtest.h>

namespace kpo::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
const LoginThrottle::Clock::time_point kStart{seconds(1000)};

TEST(LoginThrottle, AFewFailuresAreFreeThenEachWaitDoubles) {
  LoginThrottle throttle;
  auto now = kStart;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(throttle.Admit("alice", "198.51.100.1", now), milliseconds(0)) << i;
  EXPECT_EQ(throttle.Admit("alice", "198.51.100.1", now), seconds(1));
  now += seconds(1);
  EXPECT_EQ(throttle.Admit("alice", "198.51.100.1", now), milliseconds(0));
  EXPECT_EQ(throttle.Admit("alice", "198.51.100.1", now), seconds(2));
  now += seconds(2);
  EXPECT_EQ(throttle.Admit("alice", "198.51.100.1", now), milliseconds(0));
  EXPECT_EQ(throttle.Admit("alice", "198.51.100.1", now + milliseconds(1500)), milliseconds(2500));
}

TEST(LoginThrottle, TheUsernameIsThrottledFromEveryAddress) {
  LoginThrottle throttle;
  for (int i = 0; i < 5; ++i) throttle.Admit("alice", "198.51.100." + std::to_string(i), kStart);
  EXPECT_GT(throttle.Admit("alice", "203.0.113.9", kStart), milliseconds(0));
  EXPECT_EQ(throttle.Admit("bob", "203.0.113.9", kStart), milliseconds(0)) << "other users are not";
}

// Otherwise a wrong guess every few minutes from anywhere would keep the owner out.
TEST(LoginThrottle, AnAddressThatSignedInBeforeIsHeldOnlyToItsOwnFailures) {
  LoginThrottle throttle;
  EXPECT_EQ(throttle.Admit("alice", "198.51.100.1", kStart), milliseconds(0));
  throttle.Succeeded("alice", "198.51.100.1", kStart);
  for (int i = 0; i < 10; ++i) throttle.Admit("alice", "203.0.113." + std::to_string(i), kStart);
  EXPECT_GT(throttle.Admit("alice", "192.0.2.1", kStart), milliseconds(0)) << "a new address waits";
  EXPECT_EQ(throttle.Admit("alice", "198.51.100.1", kStart), milliseconds(0)) << "the owner's does not";
  for (int i = 0; i < 4; ++i) throttle.Admit("alice", "198.51.100.1", kStart);
  EXPECT_GT(throttle.Admit("alice", "198.51.100.1", kStart), milliseconds(0)) << "but its own failures count";
}

TEST(LoginThrottle, OneAddressTryingManyUsernamesIsThrottled) {
  LoginThrottle throttle;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(throttle.Admit("user" + std::to_string(i), "198.51.100.1", kStart), milliseconds(0)) << i;
  }
  EXPECT_EQ(throttle.Admit("user-new", "198.51.100.1", kStart), seconds(1));
  EXPECT_EQ(throttle.Admit("user-new", "198.51.100.2", kStart), milliseconds(0)) << "other addresses are not";
}

// Names no account can have (the caller passes them as empty) are not keys: only the address counts.
TEST(LoginThrottle, ANameNoAccountCanHaveCountsAgainstTheAddressAlone) {
  LoginThrottle throttle;
  for (int i = 0; i < 20; ++i) EXPECT_EQ(throttle.Admit("", "198.51.100.1", kStart), milliseconds(0)) << i;
  EXPECT_EQ(throttle.Admit("", "198.51.100.1", kStart), seconds(1)) << "the address is throttled";
  EXPECT_EQ(throttle.Admit("", "198.51.100.2", kStart), milliseconds(0)) << "not every such name together";
  EXPECT_EQ(throttle.Admit("alice", "198.51.100.2", kStart), milliseconds(0));
}

TEST(LoginThrottle, ASuccessClearsTheUsernameButNotTheAddressesEarlierFailures) {
  LoginThrottle throttle;
  for (int i = 0; i < 4; ++i) throttle.Admit("alice", "198.51.100.1", kStart);
  throttle.Admit("alice", "198.51.100.1", kStart);
  throttle.Succeeded("alice", "198.51.100.1");
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(throttle.Admit("alice", "198.51.100.1", kStart), milliseconds(0)) << i;
  // 4 failures + 5 new ones from this address: 9 of its 20 free failures are used.
  for (int i = 0; i < 11; ++i)
    EXPECT_EQ(throttle.Admit("u" + std::to_string(i), "198.51.100.1", kStart), milliseconds(0));
  EXPECT_GT(throttle.Admit("u-last", "198.51.100.1", kStart), milliseconds(0));
}

// Registering makes the address known to the new account, but forgives the address nothing: an
// address that registers accounts between guesses gets no more guesses for it.
TEST(LoginThrottle, RegisteringMakesTheAddressKnownButForgivesItsFailuresNothing) {
  LoginThrottle throttle;
  throttle.Registered("alice", "198.51.100.1", kStart);
  for (int i = 0; i < 10; ++i) throttle.Admit("alice", "203.0.113." + std::to_string(i), kStart);
  EXPECT_GT(throttle.Admit("alice", "192.0.2.1", kStart), milliseconds(0)) << "a new address waits";
  EXPECT_EQ(throttle.Admit("alice", "198.51.100.1", kStart), milliseconds(0))
      << "the registering one does not";

  for (int i = 0; i < 19; ++i) throttle.Admit("u" + std::to_string(i), "192.0.2.50", kStart);
  throttle.Registered("mallory", "192.0.2.50", kStart);
  // 19 failures + this one: the last of its 20 free ones; registering gave it none back.
  EXPECT_EQ(throttle.Admit("u-19", "192.0.2.50", kStart), milliseconds(0));
  EXPECT_GT(throttle.Admit("u-20", "192.0.2.50", kStart), milliseconds(0));
}

TEST(LoginThrottle, DelaysAreCappedAndForgottenAfterAQuietPeriod) {
  LoginThrottle throttle;
  auto now = kStart;
  for (int i = 0; i < 40; ++i) {
    now += throttle.Admit("alice", "198.51.100.1", now);
    throttle.Admit("alice", "198.51.100.1", now);
  }
  EXPECT_LE(throttle.Admit("alice", "198.51.100.1", now), seconds(300));
  EXPECT_EQ(throttle.Admit("alice", "198.51.100.1", now + seconds(900)), milliseconds(0));
}

TEST(LoginThrottle, MemoryStaysBoundedUnderAWideAttack) {
  LoginThrottlePolicy policy;
  policy.max_keys = 100;
  LoginThrottle throttle(policy);
  for (int i = 0; i < 1000; ++i)
    throttle.Admit("user" + std::to_string(i), "10.0.0." + std::to_string(i), kStart);
  for (int i = 0; i < 5; ++i) throttle.Admit("alice", "198.51.100.1", kStart);
  EXPECT_GT(throttle.Admit("alice", "198.51.100.1", kStart), milliseconds(0)) << "recent keys still count";
}

}  // namespace
}  // namespace kpo::gateway
