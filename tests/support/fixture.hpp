#pragma once
// A test suite that shares one running system, started before its first test and stopped after
// its last. `System` needs a default constructor and Start().
#include <gtest/gtest.h>

#include <memory>

namespace kpo::testing {

template <typename System>
class SharedSystemTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    system_ = std::make_unique<System>();
    system_->Start();
  }
  static void TearDownTestSuite() { system_.reset(); }
  static System& system() { return *system_; }

 private:
  static inline std::unique_ptr<System> system_;
};

}  // namespace kpo::testing
