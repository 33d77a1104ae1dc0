#include "core/workers.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>

namespace kpo::core {
namespace {

// Each worker, once asked to stop, waits for the other to have been asked too before it returns.
// Stopped one after the other, the first would wait for a request that comes only after it has
// returned: it gives up after 10 s (a guard against hanging, not a measurement) and says so.
TEST(Workers, AreAllAskedToStopBeforeAnyIsWaitedFor) {
  std::latch both_asked(2);
  std::atomic<int> saw_the_other{0};
  {
    Workers workers;
    for (int i = 0; i < 2; ++i) {
      workers.Start("test-worker", [&](std::stop_token stop) {
        while (!stop.stop_requested()) std::this_thread::yield();
        both_asked.count_down();
        const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!both_asked.try_wait() && std::chrono::steady_clock::now() < guard) std::this_thread::yield();
        if (both_asked.try_wait()) saw_the_other.fetch_add(1);
      });
    }
    EXPECT_EQ(workers.Size(), 2u);
  }
  EXPECT_EQ(saw_the_other.load(), 2);
}

TEST(Workers, RequestStopReturnsWithoutWaiting) {
  std::atomic<bool> release{false};
  std::atomic<bool> stop_seen{false};
  Workers workers;
  workers.Start("test-worker", [&](std::stop_token stop) {
    while (!stop.stop_requested()) std::this_thread::yield();
    stop_seen = true;
    while (!release) std::this_thread::yield();
  });
  workers.RequestStop();  // the worker is still running: this must not wait for it
  while (!stop_seen) std::this_thread::yield();
  release = true;
}

}  // namespace
}  // namespace kpo::core
