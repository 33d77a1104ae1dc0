#include "core/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace kpo::core {
namespace {

TEST(Config, ReadsEnvironmentWithFallbacksAndMasksSecrets) {
  ::setenv("KPO_TEST_URL", "postgresql://kpo:hunter2@db:5432/orders", 1);
  ::setenv("KPO_TEST_SECRET", "s3cr3t", 1);
  ::unsetenv("KPO_TEST_MISSING");
  Config config;
  EXPECT_EQ(config.String("KPO_TEST_URL", ""), "postgresql://kpo:hunter2@db:5432/orders");
  EXPECT_EQ(config.Secret("KPO_TEST_SECRET", ""), "s3cr3t");
  EXPECT_EQ(config.String("KPO_TEST_MISSING", "fallback"), "fallback");
  const auto& effective = config.Effective();
  EXPECT_EQ(effective[0].second, "postgresql://kpo:***@db:5432/orders");
  EXPECT_EQ(effective[1].second, "***");
}

TEST(Config, ReadsBooleansAndRejectsAnythingElse) {
  ::setenv("KPO_TEST_BOOL", "false", 1);
  ::unsetenv("KPO_TEST_BOOL_MISSING");
  Config config;
  EXPECT_FALSE(config.Bool("KPO_TEST_BOOL", true));
  EXPECT_TRUE(config.Bool("KPO_TEST_BOOL_MISSING", true));
  ::setenv("KPO_TEST_BOOL", "on", 1);
  EXPECT_TRUE(config.Bool("KPO_TEST_BOOL", false));
  ::setenv("KPO_TEST_BOOL", "maybe", 1);
  EXPECT_THROW(config.Bool("KPO_TEST_BOOL", false), std::invalid_argument);
}

TEST(Config, RejectsOutOfRangeIntegers) {
  ::setenv("KPO_TEST_INT", "70000", 1);
  Config config;
  EXPECT_THROW(config.Int("KPO_TEST_INT", 1, 1, 65535), std::invalid_argument);
  ::setenv("KPO_TEST_INT", "12x", 1);
  EXPECT_THROW(config.Int("KPO_TEST_INT", 1, 1, 65535), std::invalid_argument);
}

TEST(Config, ParsesListenAddresses) {
  EXPECT_EQ(ParseListenAddress("0.0.0.0:5001"), std::make_pair(std::string("0.0.0.0"), std::uint16_t{5001}));
  EXPECT_EQ(ParseListenAddress(":5002").first, "0.0.0.0");
  EXPECT_THROW(ParseListenAddress("localhost"), std::invalid_argument);
}

}  // namespace
}  // namespace kpo::core
