#include "observability/process_metrics.hpp"

#include <gtest/gtest.h>

namespace kpo::observability {
namespace {

TEST(ProcessMetrics, ParsesProcStatWhateverTheCommandName) {
  // proc(5): utime 14, stime 15, starttime 22, rss 24; the name holds a space and a ')'.
  const auto stat = ParseProcStat(
      "4242 (kpo ord)ers) S 1 4242 4242 0 -1 4194560 900 0 0 0 150 25 0 0 20 0 9 0 123456 "
      "700000000 2048 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->cpu_ticks, 175U);
  EXPECT_EQ(stat->start_ticks, 123456U);
  EXPECT_EQ(stat->rss_pages, 2048U);
  EXPECT_FALSE(ParseProcStat("4242 (kpo) S 1 2 3"));
  EXPECT_FALSE(ParseProcStat("no command name"));
}

TEST(ProcessMetrics, ExposesTheProcessAndTheBuild) {
  Registry registry;
  RegisterProcessMetrics(registry);
  const auto text = registry.Render();
  for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
                           "process_open_fds ", "process_max_fds ", "process_start_time_seconds "}) {
    const auto at = text.find(std::string("\n") + name);
    ASSERT_NE(at, std::string::npos) << name;
    // A process that has just started may not have used a whole clock tick of CPU yet.
    const double value = std::stod(text.substr(at + 1 + std::string(name).size()));
    if (std::string_view(name).starts_with("process_cpu")) {
      EXPECT_GE(value, 0);
    } else {
      EXPECT_GT(value, 0) << name;
    }
  }
  EXPECT_NE(text.find("build_info{version=\"" + std::string(BuildVersion()) + "\",commit=\""),
            std::string::npos);
  EXPECT_FALSE(BuildCommit().empty());
}

}  // namespace
}  // namespace kpo::observability
