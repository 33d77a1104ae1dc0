#include "core/log.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <limits>

#include "core/utf8.hpp"

namespace kpo::core {
namespace {

boost::json::object Parse(const std::string& line) {
  boost::system::error_code ec;
  auto value = boost::json::parse(line, ec);
  EXPECT_FALSE(ec) << line;
  return ec ? boost::json::object{} : value.as_object();
}

TEST(LogFields, RenderAsJsonMembersOfTheLine) {
  LogFields fields;
  fields.Add("order_id", "o-1").Add("status", 202).Add("duration_ms", 1.23456).Add("ok", true);
  ScopedLogFields scope(fields);
  const auto line = Parse(RenderForTest("access"));
  EXPECT_EQ(line.at("msg").as_string(), "access");
  EXPECT_EQ(line.at("order_id").as_string(), "o-1");
  EXPECT_EQ(line.at("status").as_int64(), 202);
  EXPECT_DOUBLE_EQ(line.at("duration_ms").as_double(), 1.235);
  EXPECT_EQ(line.at("ok").as_int64(), 1);
}

TEST(LogFields, EscapeQuotesBackslashesAndControlCharactersInKeysAndValues) {
  const std::string nasty = std::string("a\"b\\c\nd\te") + '\x01' + "ж";
  LogFields fields;
  fields.Add("error", nasty).Add("k\"ey", "v");
  ScopedLogFields scope(fields);
  const auto line = Parse(RenderForTest(nasty));
  EXPECT_EQ(line.at("error").as_string(), nasty);
  EXPECT_EQ(line.at("msg").as_string(), nasty);
  EXPECT_EQ(line.at("k\"ey").as_string(), "v");
}

TEST(LogFields, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  // A client's path, percent-decoded: the line stays UTF-8, so stays JSON a log pipeline can read.
  LogFields fields;
  fields.Add("path", "/api/\xFF\xFE\xC0\x80ok\xD0\xBA");
  ScopedLogFields scope(fields);
  const auto rendered = RenderForTest("m");
  EXPECT_TRUE(Utf8Length(rendered).has_value()) << rendered;
  EXPECT_EQ(Parse(rendered).at("path").as_string(), "/api/\uFFFD\uFFFD\uFFFD\uFFFDok\u043A");
}

TEST(LogFields, NonFiniteNumbersBecomeNull) {
  LogFields fields;
  fields.Add("x", std::numeric_limits<double>::infinity());
  ScopedLogFields scope(fields);
  EXPECT_TRUE(Parse(RenderForTest("m")).at("x").is_null());
}

TEST(LogFields, TraceTakesTraceAndSpanFromAValidTraceparentOnly) {
  LogFields fields;
  fields.AddTrace("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").AddTrace("garbage");
  EXPECT_EQ(fields.Json(), R"(,"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331")");
}

TEST(ScopedLogFields, NestAndAreRemovedWhenTheScopeEnds) {
  LogContext context("req-1", "");
  {
    ScopedLogFields outer(LogFields().Add("a", "1"));
    {
      ScopedLogFields inner(LogFields().Add("b", "2"));
      EXPECT_EQ(RenderForTest("m"), R"({"msg":"m","request_id":"req-1","a":"1","b":"2"})");
    }
    EXPECT_EQ(RenderForTest("m"), R"({"msg":"m","request_id":"req-1","a":"1"})");
  }
  EXPECT_EQ(RenderForTest("m"), R"({"msg":"m","request_id":"req-1"})");
}

// The review saw 2.7 million lines in 19 s from an accept loop out of descriptors.
TEST(InitLogging, AWarningRepeatedInATightLoopIsWrittenAFewTimesNotThousands) {
  ASSERT_TRUE(InitLogging("log-test", "info"));
  testing::internal::CaptureStdout();
  for (int i = 0; i < 5000; ++i) spdlog::warn("accept failed: Too many open files (fd {})", i);
  for (int i = 0; i < 20; ++i) spdlog::info("access line {}", i);
  spdlog::default_logger()->flush();
  const auto out = testing::internal::GetCapturedStdout();
  std::size_t warnings = 0, infos = 0;
  for (std::size_t at = out.find("accept failed"); at != std::string::npos;
       at = out.find("accept failed", at + 1)) {
    ++warnings;
  }
  for (std::size_t at = out.find("access line"); at != std::string::npos;
       at = out.find("access line", at + 1)) {
    ++infos;
  }
  EXPECT_LE(warnings, 10U);
  EXPECT_GE(warnings, 1U);
  EXPECT_EQ(infos, 20U) << "info lines are never dropped";
}

TEST(InitLogging, TakesLevelNamesInAnyCaseAndRefusesOthersLoudly) {
  EXPECT_TRUE(InitLogging("log-test", "DEBUG"));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
  EXPECT_TRUE(InitLogging("log-test", "Warn"));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
  EXPECT_TRUE(InitLogging("log-test", "off"));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::off);
  // spdlog reads a name it does not know as "off": that silenced even the critical start-up errors.
  testing::internal::CaptureStdout();
  EXPECT_FALSE(InitLogging("log-test", "verbose"));
  spdlog::default_logger()->flush();
  const auto out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::info);
  EXPECT_NE(out.find("LOG_LEVEL=verbose is not one of"), std::string::npos) << out;
  EXPECT_TRUE(InitLogging("log-test", "info"));
}

TEST(LogLevelSignals, GoOneLevelMoreVerboseUpToTraceAndBackToTheStartupLevel) {
  ASSERT_TRUE(InitLogging("log-test", "Warn"));
  testing::internal::CaptureStdout();
  for (const auto expected :
       {spdlog::level::info, spdlog::level::debug, spdlog::level::trace, spdlog::level::trace}) {
    LogMoreVerbosely();
    EXPECT_EQ(spdlog::default_logger()->level(), expected) << "trace is as verbose as it gets";
  }
  RestoreStartupLogLevel();
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
  spdlog::default_logger()->flush();
  const auto out = testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("log level now debug (SIGUSR1); SIGUSR1 logs more, SIGUSR2 returns to warning"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("log level now warning (SIGUSR2)"), std::string::npos) << out;
  EXPECT_TRUE(InitLogging("log-test", "info"));
}

}  // namespace
}  // namespace kpo::core
