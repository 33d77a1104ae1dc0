#include "core/fair_pool.hpp"

#include <gtest/gtest.h>

#include <latch>
#include <mutex>
#include <string>
#include <vector>

namespace kpo::core {
namespace {

// Records the jobs in the order they ran.
class RunOrder {
 public:
  FairPool::Job Job(std::string name) {
    return [this, name = std::move(name)] {
      std::lock_guard lock(mutex_);
      ran_.push_back(name);
    };
  }
  std::vector<std::string> Ran() {
    std::lock_guard lock(mutex_);
    return ran_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> ran_;
};

// One client's burst is queued first; another client's one job still runs right after the burst's
// first, not after all of it (a first-come-first-served pool would run it last).
TEST(FairPool, OneKeysBurstWaitsBehindItselfNotInFrontOfOthers) {
  FairPool pool(1);
  RunOrder order;
  std::latch started(1);
  std::latch release(1);
  pool.Post("busy", [&] {
    started.count_down();
    release.wait();
  });
  started.wait();  // the only thread is held: everything below waits
  for (int i = 1; i <= 4; ++i) pool.Post("burst", order.Job("burst-" + std::to_string(i)));
  pool.Post("other", order.Job("other-1"));
  pool.Post("other", order.Job("other-2"));
  EXPECT_EQ(pool.Waiting(), 6U);
  release.count_down();
  pool.Join();
  EXPECT_EQ(order.Ran(),
            (std::vector<std::string>{"burst-1", "other-1", "burst-2", "other-2", "burst-3", "burst-4"}));
  EXPECT_EQ(pool.Waiting(), 0U);
}

TEST(FairPool, JoinRunsWhatWasPostedAndDropsWhatComesAfter) {
  RunOrder order;
  FairPool pool(2);
  for (int i = 0; i < 50; ++i) pool.Post("key-" + std::to_string(i % 3), order.Job(std::to_string(i)));
  pool.Join();
  EXPECT_EQ(order.Ran().size(), 50U);
  pool.Post("late", order.Job("late"));
  pool.Join();
  EXPECT_EQ(order.Ran().size(), 50U);
}

}  // namespace
}  // namespace kpo::core
