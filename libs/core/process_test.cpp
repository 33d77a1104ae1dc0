#include "core/process.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

namespace kpo::core {
namespace {

// Each case runs in a child (a death test): RunService sets up the process's logging and signals.
class RunServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(RunServiceTest, ExitsZeroWhenServeReturnsAndHandsItTheRaisedOpenFileLimit) {
  ::setenv("LOG_LEVEL", "warn", 1);
  EXPECT_EXIT(std::exit(RunService("test",
                                   [](Config& config, const OpenFileLimit& open_files) {
                                     // The configuration it reads from is the one given.
                                     if (config.String("LOG_LEVEL", "") != "warn") std::_Exit(5);
                                     if (open_files.soft < open_files.before) std::_Exit(6);
                                   })),
              ::testing::ExitedWithCode(0), "");
}

TEST_F(RunServiceTest, AFailedStartUpExitsOneAndARefusedOneWithItsOwnStatus) {
  ::setenv("LOG_LEVEL", "info", 1);
  EXPECT_EXIT(std::exit(RunService(
                  "test", [](Config&, const OpenFileLimit&) { throw std::invalid_argument("bad value"); })),
              ::testing::ExitedWithCode(1), "");
  EXPECT_EXIT(std::exit(RunService(
                  "test", [](Config&, const OpenFileLimit&) { throw StartupRefused(2, "no secret"); })),
              ::testing::ExitedWithCode(2), "");
}

TEST_F(RunServiceTest, AnInvalidLogLevelExitsOneBeforeServing) {
  ::setenv("LOG_LEVEL", "chatty", 1);
  EXPECT_EXIT(std::exit(RunService("test", [](Config&, const OpenFileLimit&) { std::_Exit(7); })),
              ::testing::ExitedWithCode(1), "");
  ::unsetenv("LOG_LEVEL");
}

}  // namespace
}  // namespace kpo::core
