#include "core/thread_priority.hpp"

#include <gtest/gtest.h>

#include <system_error>
#include <thread>

namespace kpo::core {
namespace {

// Anyone may lower a thread's own priority (raise its nice value), so these hold for any user.

TEST(ThreadPriority, TheNiceValueSetIsTheOneTheThreadHas) {
  std::error_code error;
  int seen = 0;
  int before = 0;
  std::thread([&] {
    before = ThisThreadNice();
    error = SetThisThreadNice(before + 3);
    seen = ThisThreadNice();
  }).join();
  EXPECT_FALSE(error) << error.message();
  EXPECT_EQ(seen, before + 3);
}

TEST(ThreadPriority, OnlyTheCallingThreadChanges) {
  const int mine = ThisThreadNice();
  std::thread([] { ASSERT_FALSE(SetThisThreadNice(ThisThreadNice() + 2)); }).join();
  EXPECT_EQ(ThisThreadNice(), mine);
}

TEST(ThreadPriority, AThreadStartsWithItsCreatorsValue) {
  int child = 0;
  int parent = 0;
  std::thread([&] {
    ASSERT_FALSE(SetThisThreadNice(ThisThreadNice() + 4));
    parent = ThisThreadNice();
    std::thread([&] { child = ThisThreadNice(); }).join();
  }).join();
  EXPECT_EQ(child, parent);
}

TEST(ThreadPriority, AValueOutOfRangeIsClampedNotRefused) {
  // setpriority(2) clamps to the range; the thread ends at the lowest priority there is.
  int seen = 0;
  std::thread([&] {
    ASSERT_FALSE(SetThisThreadNice(100));
    seen = ThisThreadNice();
  }).join();
  EXPECT_EQ(seen, 19);
}

}  // namespace
}  // namespace kpo::core
