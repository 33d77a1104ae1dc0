#pragma once
// A test suite that shares one running system, started before its first test and stopped after
// its last. `System` needs a default constructor and Start().
#include <gtest/gtest.h>

#include <exception>
#include <memory>
#include <string>

namespace kpo::testing {

template <typename System>
class SharedSystemTest : public ::testing::Test {
 protected:
  // A system that does not start fails every test of the suite. Left to GoogleTest, a throwing
  // SetUpTestSuite marks the tests "[  SKIPPED ]", which CTest reports as skipped, not failed.
  static void SetUpTestSuite() {
    start_error_.clear();
    // The edge of the suite's set-up: the error is reported by each test instead.
    try {
      system_ = std::make_unique<System>();
      system_->Start();
    } catch (const std::exception& error) {
      start_error_ = error.what();
      system_.reset();
    }
  }
  static void TearDownTestSuite() { system_.reset(); }
  void SetUp() override { ASSERT_TRUE(start_error_.empty()) << "the system did not start: " << start_error_; }
  static System& system() { return *system_; }

 private:
  static inline std::unique_ptr<System> system_;
  static inline std::string start_error_;
};

}  // namespace kpo::testing
