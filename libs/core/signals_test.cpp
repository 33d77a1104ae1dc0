#include "core/signals.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>

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

// An operator's SIGUSR1 or SIGUSR2 (the log level's, once serving) sent while the service still
// starts up must not end it, as their default action would.
TEST(ExitOnTerminationSignals, LeavesTheLogLevelSignalsIgnoredUntilTheServerTakesThem) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ExitOnTerminationSignals();
        std::raise(SIGUSR1);
        std::raise(SIGUSR2);
        std::_Exit(7);
      },
      ::testing::ExitedWithCode(7), "");
}

}  // namespace
}  // namespace kpo::core
