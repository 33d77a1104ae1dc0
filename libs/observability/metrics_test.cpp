#include "observability/metrics.hpp"

#include <gtest/gtest.h>

namespace kpo::observability {
namespace {

TEST(Metrics, CounterRendersWithLabels) {
  Registry registry;
  registry.GetCounter("requests_total", "Requests.", "status=\"200\"").Add(3);
  registry.GetCounter("requests_total", "Requests.", "status=\"200\"").Add();
  const auto text = registry.Render();
  EXPECT_NE(text.find("# TYPE requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("requests_total{status=\"200\"} 4"), std::string::npos);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Registry registry;
  auto& h = registry.GetHistogram("latency_seconds", "Latency.");
  h.Observe(0.0001);
  h.Observe(0.003);
  h.Observe(20);
  const auto text = registry.Render();
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.0005\"} 1"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.005\"} 2"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"+Inf\"} 3"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_count 3"), std::string::npos);
}

}  // namespace
}  // namespace kpo::observability
