#include "core/thread_name.hpp"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

namespace kpo::core {
namespace {

// The calling thread's name as the kernel reports it to ps and top.
std::string KernelNameOfThisThread() {
  std::ifstream comm("/proc/self/task/" + std::to_string(::syscall(SYS_gettid)) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

TEST(ThreadName, TheKernelReportsTheNameGiven) {
  std::string seen;
  std::thread([&] {
    NameThisThread("relay-1");
    seen = KernelNameOfThisThread();
  }).join();
  EXPECT_EQ(seen, "relay-1");
}

TEST(ThreadName, ANameLongerThanTheKernelKeepsIsCutAtFifteenBytes) {
  std::string seen;
  std::thread([&] {
    NameThisThread("consumer-batches-0");
    seen = KernelNameOfThisThread();
  }).join();
  EXPECT_EQ(seen, "consumer-batche");
}

}  // namespace
}  // namespace kpo::core
