#include "core/config.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace kpo::core {
namespace {

// What LogEffective writes, captured by a logger of the test's own (the default one is restored).
std::string LoggedEffectiveConfig(const Config& config) {
  std::ostringstream out;
  const auto previous = spdlog::default_logger();
  auto capture =
      std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  capture->set_pattern("%v");
  spdlog::set_default_logger(capture);
  config.LogEffective("test");
  spdlog::set_default_logger(previous);
  return out.str();
}

TEST(Config, ReadsEnvironmentWithFallbacksAndMasksSecrets) {
  ::setenv("KPO_TEST_URL", "postgresql://kpo:hunter2@db:5432/orders", 1);
  ::setenv("KPO_TEST_SECRET", "s3cr3t", 1);
  ::unsetenv("KPO_TEST_MISSING");
  Config config;
  EXPECT_EQ(config.String("KPO_TEST_URL", ""), "postgresql://kpo:hunter2@db:5432/orders");
  EXPECT_EQ(config.Secret("KPO_TEST_SECRET", ""), "s3cr3t");
  EXPECT_EQ(config.String("KPO_TEST_MISSING", "fallback"), "fallback");
  EXPECT_EQ(LoggedEffectiveConfig(config),
            "test effective config: KPO_TEST_URL=postgresql://kpo:***@db:5432/orders KPO_TEST_SECRET=*** "
            "KPO_TEST_MISSING=fallback\n");
}

TEST(Config, MasksThePasswordOfEveryUrlInAList) {
  EXPECT_EQ(MaskPasswords("amqp://kpo:kpo@127.0.0.1:5681/,amqp://kpo:kpo@127.0.0.1:5682/,amqp://h3/"),
            "amqp://kpo:***@127.0.0.1:5681/,amqp://kpo:***@127.0.0.1:5682/,amqp://h3/");
  EXPECT_EQ(MaskPasswords("amqp://guest@h1/"), "amqp://guest@h1/");
  EXPECT_EQ(MaskPasswords("amqp//kpo:S3cret@localhost/"), "amqp//kpo:***@localhost/");  // a mistyped scheme
  EXPECT_EQ(MaskPasswords("kpo:S3cret@localhost"), "kpo:***@localhost");
}

TEST(Config, MasksPasswordParametersOfLibpqAndOfUrlQueries) {
  EXPECT_EQ(MaskPasswords("host=127.0.0.1 port=5432 user=kpo password=kpo dbname=orders"),
            "host=127.0.0.1 port=5432 user=kpo password=*** dbname=orders");
  EXPECT_EQ(MaskPasswords("host=h PASSWORD='a b\\' c' dbname=x"), "host=h PASSWORD=*** dbname=x");
  EXPECT_EQ(MaskPasswords("postgresql://kpo@localhost:5499/payments?password=S3cret&sslmode=disable"),
            "postgresql://kpo@localhost:5499/payments?password=***&sslmode=disable");
  EXPECT_EQ(MaskPasswords("password="), "password=***");
  EXPECT_EQ(MaskPasswords("host=h password=a,b dbname=x"),
            "host=h password=*** dbname=x");  // a comma is no end
  EXPECT_EQ(MaskPasswords("host=h password = topsecret dbname=x"), "host=h password = *** dbname=x");
  EXPECT_EQ(MaskPasswords("password"), "password");
  EXPECT_EQ(MaskPasswords("host=h password=ab&cd dbname=x"),
            "host=h password=*** dbname=x");  // '&' is no end
  EXPECT_EQ(MaskPasswords("host=h password=a\\ b dbname=x"),
            "host=h password=*** dbname=x");  // an escaped blank
  EXPECT_EQ(MaskPasswords("host=::1 password=ab@cd_secret"), "host=::1 password=***");
}

TEST(Config, MasksPasswordsHoldingSlashesCommasOrFollowedByAtSigns) {
  // What a password may hold (base64 has '/'; a comma of a single URL) or a query after it ('@'):
  // the mask may take more than the password, never less.
  for (const auto& [url, secret] : std::vector<std::pair<std::string, std::string>>{
           {"amqp://kpo:ab/cd@h/", "ab/cd"},
           {"postgresql://u:p4ss@h/db?application_name=a@b", "p4ss"},
           {"postgresql://u:a,b@h/db", "a,b"},
           {"amqp://kpo:x,y@h1/,amqp://kpo:z@h2/", "x,y"}}) {
    const auto masked = MaskPasswords(url);
    EXPECT_EQ(masked.find(secret), std::string::npos) << url << " -> " << masked;
  }
  EXPECT_EQ(MaskPasswords("amqp://kpo:x,y@h1/,amqp://kpo:z@h2/"), "amqp://kpo:***@h1/,amqp://kpo:***@h2/");
  EXPECT_EQ(MaskPasswords("oldpassword=keep user=kpo"), "oldpassword=keep user=kpo");  // not the parameter
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

TEST(SplitList, EmptyItemsAreDropped) {
  EXPECT_EQ(SplitList("a,,b,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(SplitList("").empty());
}

// "https://a, https://b" is the list a person writes: the space is not part of the origin (a CORS
// origin compared with " https://b" would never match, an upstream " b:2" never resolve).
TEST(SplitList, TheBlanksAroundEachItemAreNotPartOfIt) {
  EXPECT_EQ(SplitList(" https://a, https://b ,\tc\n"),
            (std::vector<std::string>{"https://a", "https://b", "c"}));
  EXPECT_TRUE(SplitList(" , \t").empty());
}

}  // namespace
}  // namespace kpo::core
