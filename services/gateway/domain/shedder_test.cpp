#include "gateway/domain/shedder.hpp"

#include <gtest/gtest.h>

namespace kpo::gateway {
namespace {

using std::chrono::milliseconds;

constexpr ShedderOptions kOptions{.window = milliseconds(500), .probe_share = 0.1};

// A service offered `offered` requests per slice of time that accepts at most `capacity` of them.
struct Simulation {
  Shedder shedder{kOptions};
  Shedder::Clock::time_point now = Shedder::Clock::now();
  int forwarded = 0;
  int accepted = 0;

  void Slice(int offered, int capacity, milliseconds length = milliseconds(125)) {
    forwarded = 0;
    accepted = 0;
    for (int i = 0; i < offered; ++i) {
      if (shedder.ShedNext(now)) continue;
      ++forwarded;
      const bool takes = accepted < capacity;
      accepted += takes ? 1 : 0;
      shedder.Observe(takes ? 202 : 503, !takes, now);
    }
    now += length;
  }
};

TEST(Shedder, NeverShedsWhileTheServiceAccepts) {
  Shedder shedder(kOptions);
  const auto t0 = Shedder::Clock::now();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(shedder.ShedNext(t0));
    shedder.Observe(i % 2 == 0 ? 202 : 400, false, t0);  // a client's mistake is not overload
  }
  EXPECT_EQ(shedder.RefusalShare(t0), 0);
}

TEST(Shedder, PassesOnlyTheProbeShareWhileTheServiceRefusesEverything) {
  Simulation service;
  service.Slice(1000, 0);
  EXPECT_NEAR(service.forwarded, 1 + 999 * 0.1, 2) << "the service must still be probed";
}

// Offered 100 per slice, the service takes 20: the gateway answers most of the surplus itself and
// never takes work from the service.
TEST(Shedder, ShedsTheSurplusButNeverWhatTheServiceWouldTake) {
  Simulation service;
  int forwarded = 0;
  for (int slice = 0; slice < 40; ++slice) {
    service.Slice(100, 20);
    ASSERT_EQ(service.accepted, 20) << "slice " << slice;
    if (slice >= 8) forwarded += service.forwarded;
  }
  const double average = forwarded / 32.0;
  EXPECT_GT(average, 30);  // probes keep a margin above what the service takes
  EXPECT_LT(average, 70);  // most of the surplus never reaches the service
}

TEST(Shedder, LetsGoWithinTwoWindowsOnceTheServiceAcceptsAgain) {
  Simulation service;
  for (int slice = 0; slice < 16; ++slice) service.Slice(100, 0);
  EXPECT_GT(service.shedder.RefusalShare(service.now), 0.8);
  for (int slice = 0; slice < 8; ++slice) service.Slice(100, 1000);
  EXPECT_EQ(service.shedder.RefusalShare(service.now), 0);
  service.Slice(100, 1000);
  EXPECT_EQ(service.forwarded, 100);
}

TEST(Shedder, ForgetsAnOverloadAfterAQuietWindow) {
  Simulation service;
  service.Slice(100, 0, milliseconds(0));
  EXPECT_GT(service.shedder.RefusalShare(service.now), 0.8);
  EXPECT_EQ(service.shedder.RefusalShare(service.now + milliseconds(700)), 0);
  EXPECT_FALSE(service.shedder.ShedNext(service.now + milliseconds(700)));
}

TEST(Shedder, OnlyAnOverloadAnswerCounts) {
  Shedder shedder(kOptions);
  const auto t0 = Shedder::Clock::now();
  for (int i = 0; i < 100; ++i) {
    ASSERT_FALSE(shedder.ShedNext(t0));
    shedder.Observe(503, false, t0);  // unavailable, but without saying when to come back
    ASSERT_FALSE(shedder.ShedNext(t0));
    shedder.Observe(429, true, t0);  // one client's limit, not the service's load
  }
}

TEST(Shedder, AZeroWindowNeverSheds) {
  Shedder shedder({.window = milliseconds(0)});
  const auto t0 = Shedder::Clock::now();
  for (int i = 0; i < 100; ++i) {
    ASSERT_FALSE(shedder.ShedNext(t0));
    shedder.Observe(503, true, t0);
  }
}

}  // namespace
}  // namespace kpo::gateway
