#include "core/thread_name.hpp"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <string_view>
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

// The name the kernel reports for a new thread that named itself `name`.
std::string KernelNameAfterNaming(std::string_view name) {
  std::string seen;
  std::thread([&] {
    NameThisThread(name);
    seen = KernelNameOfThisThread();
  }).join();
  return seen;
}

TEST(ThreadName, TheKernelReportsTheNameGiven) { EXPECT_EQ(KernelNameAfterNaming("relay-1"), "relay-1"); }

TEST(ThreadName, ANameLongerThanTheKernelKeepsIsCutAtFifteenBytes) {
  EXPECT_EQ(KernelNameAfterNaming("consumer-batches-0"), "consumer-batche");
}

}  // namespace
}  // namespace kpo::core
