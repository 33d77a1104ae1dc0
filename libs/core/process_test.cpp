#include "core/process.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

namespace kpo::core {
namespace {

// Each case runs in a child (a death test): RunService sets up the process's logging and signals,
// and the child alone changes LOG_LEVEL.
class RunServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// `serve` ends the child itself with 42 when what it was handed is right (the environment's
// configuration, the open file limit as raised), so the test fails if it is not run at all.
TEST_F(RunServiceTest, HandsServeTheConfigurationAndTheRaisedOpenFileLimit) {
  EXPECT_EXIT(
      {
        ::setenv("LOG_LEVEL", "warn", 1);
        std::exit(RunService("test", [](Config& config, const OpenFileLimit& open_files) {
          const bool right = config.String("LOG_LEVEL", "") == "warn" && open_files.soft > 0 &&
                             open_files.soft >= open_files.before;
          std::_Exit(right ? 42 : 5);
        }));
      },
      ::testing::ExitedWithCode(42), "");
}

TEST_F(RunServiceTest, ExitsZeroWhenServeReturns) {
  EXPECT_EXIT(std::exit(RunService("test", [](Config&, const OpenFileLimit&) {})),
              ::testing::ExitedWithCode(0), "");
}

TEST_F(RunServiceTest, AFailedStartUpExitsOneAndARefusedOneWithItsOwnStatus) {
  EXPECT_EXIT(std::exit(RunService(
                  "test", [](Config&, const OpenFileLimit&) { throw std::invalid_argument("bad value"); })),
              ::testing::ExitedWithCode(1), "");
  EXPECT_EXIT(std::exit(RunService(
                  "test", [](Config&, const OpenFileLimit&) { throw StartupRefused(2, "no secret"); })),
              ::testing::ExitedWithCode(2), "");
}

TEST_F(RunServiceTest, AnInvalidLogLevelExitsOneBeforeServing) {
  EXPECT_EXIT(
      {
        ::setenv("LOG_LEVEL", "chatty", 1);
        std::exit(RunService("test", [](Config&, const OpenFileLimit&) { std::_Exit(7); }));
      },
      ::testing::ExitedWithCode(1), "");
}

}  // namespace
}  // namespace kpo::core
