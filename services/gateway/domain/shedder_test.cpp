#include "gateway/domain/shedder.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

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
  Shedder shedder(1.2, milliseconds(1000), 1.0);
  const auto t0 = Shedder::Clock::now();
  for (int i = 0; i < 100; ++i) shedder.Record(t0, false);
  EXPECT_GT(shedder.RefusedShare(t0 + milliseconds(500)), 0.9);
  EXPECT_EQ(shedder.RefusedShare(t0 + milliseconds(1200)), 0.0);
}

TEST(Shedder, AfterTheServiceRefusedEverythingAShareStillPasses) {
  Shedder shedder(1.5);
  const auto t0 = Shedder::Clock::now();
  for (int i = 0; i < 1000; ++i) shedder.Record(t0, false);
  EXPECT_EQ(shedder.RefusedShare(t0), Shedder::kDefaultMaxShare);
  Shedder uncapped(1.5, milliseconds(1000), 1.0);
  for (int i = 0; i < 1000; ++i) uncapped.Record(t0, false);
  EXPECT_NEAR(uncapped.RefusedShare(t0), 1000.0 / 1001.0, 1e-9);
}

// One 10 ms slice at `now`: `offered` requests arrive (draws from `generator`), and those the
// shedder passes on go to a service that accepts up to `capacity` of them. Returns how many it
// accepted; `passed_on` grows by how many it was sent.
int OfferSlice(Shedder& shedder, Shedder::Clock::time_point now, std::minstd_rand& generator, int offered,
               int capacity, int& passed_on) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  int taken = 0;
  for (int i = 0; i < offered; ++i) {
    if (shedder.Shed(now, uniform(generator))) {
      shedder.Record(now, false);
      continue;
    }
    ++passed_on;
    const bool accepted = taken < capacity;
    taken += accepted ? 1 : 0;
    shedder.Record(now, accepted);
  }
  return taken;
}

// Slices of 10 ms until what the service accepted over the last 100 ms is back to nine tenths of its
// capacity after it refused everything for a second; 26 requests are offered a slice, 13 can be taken.
int SlicesToRecover(double max_share) {
  constexpr int kOfferedPerSlice = 26;
  constexpr int kCapacityPerSlice = 13;
  constexpr int kRefusingSlices = 100;
  Shedder shedder(1.5, milliseconds(1000), max_share);
  auto now = Shedder::Clock::now();
  std::minstd_rand generator(7);  // a fixed seed: the same draws every run
  int passed_on = 0;
  std::vector<int> taken_per_slice;
  for (int slice = 0; slice < 3000; ++slice, now += milliseconds(10)) {
    const int capacity = slice < kRefusingSlices ? 0 : kCapacityPerSlice;
    taken_per_slice.push_back(OfferSlice(shedder, now, generator, kOfferedPerSlice, capacity, passed_on));
    if (slice >= kRefusingSlices + 10) {
      int last_tenth = 0;
      for (int back = 0; back < 10; ++back) last_tenth += taken_per_slice[taken_per_slice.size() - 1 - back];
      if (last_tenth >= 9 * kCapacityPerSlice) return slice - kRefusingSlices;
    }
  }
  return 3000;
}

// Without the cap the flow grew back by about the multiple per window: 8.8 s here (7 s in an
// overload of the bench); with it, 1.5 s.
TEST(Shedder, TheCapLetsTheFlowGrowBackInAFewWindows) {
  const int capped = SlicesToRecover(Shedder::kDefaultMaxShare);
  const int uncapped = SlicesToRecover(1.0);
  EXPECT_LE(capped, 200) << "capped: " << capped << " slices, uncapped: " << uncapped;
  EXPECT_GT(uncapped, 4 * capped) << "capped: " << capped << " slices, uncapped: " << uncapped;
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
  std::minstd_rand generator(42);  // a fixed seed: the same draws every run
  int passed_on = 0;
  for (int slice = 0; slice < 300; ++slice, now += milliseconds(10)) {
    if (slice == 200) passed_on = 0;
    OfferSlice(shedder, now, generator, kOfferedPerSlice, kCapacityPerSlice, passed_on);
  }
  // The last 100 slices: 1.2 x 13 = 15.6 per slice passed on, within a tenth.
  EXPECT_NEAR(passed_on / 100.0, 1.2 * kCapacityPerSlice, 0.1 * 1.2 * kCapacityPerSlice);
}

}  // namespace
}  // namespace kpo::gateway
