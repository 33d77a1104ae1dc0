#include "core/signals.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace kpo::core {
namespace {

// Without the handler the signal itself would end the child (a death by signal, not an exit), so
// an exit with 128 + the signal's number is the handler's doing.
TEST(ExitOnTerminationSignals, EachEndsTheProcessWithAnExitStatus) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  for (const int signal : {SIGTERM, SIGINT}) {
    EXPECT_EXIT(
        {
          ExitOnTerminationSignals();
          std::raise(signal);
        },
        ::testing::ExitedWithCode(128 + signal), "")
        << "signal " << signal;
  }
}

}  // namespace
}  // namespace kpo::core
