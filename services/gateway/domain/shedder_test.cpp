#include "gateway/domain/shedder.hpp"

#include <gtest/gtest.h>

#include <random>

namespace kpo::gateway {
namespace {

using std::chrono::milliseconds;

TEST(Shedder, NothingIsShedWhileTheServiceAcceptsEverything) {
  Shedder shedder(1.2);
  const auto t0 = Shedder::Clock::now();
  for (int i = 0; i < 1000; ++i) shedder.Record(t0, true);
  EXPECT_EQ(shedder.RefusedShare(t0), 0.0);
  EXPECT_FALSE(shedder.Shed(t0, 0.0));
}

TEST(Shedder, TheShareRefusedIsWhatExceedsTheMultipleOfTheAccepted) {
  Shedder shedder(1.2);
  const auto t0 = Shedder::Clock::now();
  for (int i = 0; i < 1000; ++i) shedder.Record(t0, i < 500);
  // (1000 - 1.2 * 500) / 1001
  EXPECT_NEAR(shedder.RefusedShare(t0), 400.0 / 1001.0, 1e-9);
  EXPECT_TRUE(shedder.Shed(t0, 0.39));
  EXPECT_FALSE(shedder.Shed(t0, 0.41));
}

TEST(Shedder, CountsOlderThanTheWindowNoLongerShed) {
  Shedder shedder(1.2, milliseconds(1000));
  const auto t0 = Shedder::Clock::now();
  for (int i = 0; i < 100; ++i) shedder.Record(t0, false);
  EXPECT_GT(shedder.RefusedShare(t0 + milliseconds(500)), 0.9);
  EXPECT_EQ(shedder.RefusedShare(t0 + milliseconds(1200)), 0.0);
}

TEST(Shedder, AZeroMultiplierNeverSheds) {
  Shedder shedder(0);
  const auto t0 = Shedder::Clock::now();
  for (int i = 0; i < 100; ++i) shedder.Record(t0, false);
  EXPECT_EQ(shedder.RefusedShare(t0), 0.0);
}

// Twice what the service takes is offered, each 10 ms slice: once the window has filled, what is
// passed on settles near the multiple of the service's capacity, and the rest is refused here.
TEST(Shedder, UnderOverloadWhatIsPassedOnFollowsTheServicesCapacity) {
  constexpr int kOfferedPerSlice = 26;
  constexpr int kCapacityPerSlice = 13;
  Shedder shedder(1.2, milliseconds(1000));
  auto now = Shedder::Clock::now();
  int passed_on = 0;
  std::minstd_rand generator(42);  // a fixed seed: the same draws every run
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (int slice = 0; slice < 300; ++slice, now += milliseconds(10)) {
    int taken = 0;
    for (int i = 0; i < kOfferedPerSlice; ++i) {
      if (shedder.Shed(now, uniform(generator))) {
        shedder.Record(now, false);
        continue;
      }
      const bool accepted = taken < kCapacityPerSlice;
      taken += accepted ? 1 : 0;
      shedder.Record(now, accepted);
      if (slice >= 200) ++passed_on;
    }
  }
  // The last 100 slices: 1.2 x 13 = 15.6 per slice passed on, within a tenth.
  EXPECT_NEAR(passed_on / 100.0, 1.2 * kCapacityPerSlice, 0.1 * 1.2 * kCapacityPerSlice);
}

}  // namespace
}  // namespace kpo::gateway
