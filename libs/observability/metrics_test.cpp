#include "observability/metrics.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <thread>
#include <vector>

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

TEST(Metrics, GaugeGoesUpAndDownAndIsSet) {
  Registry registry;
  auto& gauge = registry.GetGauge("streams", "Streams.", "kind=\"sse\"");
  gauge.Add(3);
  gauge.Add(-1);
  EXPECT_NE(registry.Render().find("# TYPE streams gauge\nstreams{kind=\"sse\"} 2\n"), std::string::npos);
  gauge.Set(0.25);
  EXPECT_NE(registry.Render().find("streams{kind=\"sse\"} 0.25\n"), std::string::npos);
}

TEST(Metrics, ConcurrentGaugeUpdatesAreNotLost) {
  Registry registry;
  auto& gauge = registry.GetGauge("in_use", "In use.");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&gauge, t] {
      for (int i = 0; i < 10'000; ++i) {
        gauge.Add(1);
        gauge.Add(t % 2 == 0 ? -1 : 0);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(gauge.Value(), 20'000);
}

TEST(Metrics, SampledValuesAreReadAtEachRender) {
  Registry registry;
  double value = 1;
  registry.AddSampled("queue_depth", "Depth.", SampleType::kGauge, "", [&] { return value; });
  registry.AddSampled("work_seconds_total", "Work.", SampleType::kCounter, "", [] { return 2.5; });
  EXPECT_NE(registry.Render().find("queue_depth 1\n"), std::string::npos);
  value = std::numeric_limits<double>::quiet_NaN();
  const auto text = registry.Render();
  EXPECT_NE(text.find("queue_depth NaN\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE work_seconds_total counter\nwork_seconds_total 2.5\n"), std::string::npos);
}

TEST(Metrics, SizeHistogramUsesItsOwnBuckets) {
  Registry registry;
  auto& sizes = registry.GetHistogram("batch_size", "Sizes.", "", kSizeBounds);
  sizes.Observe(1);
  sizes.Observe(3);
  sizes.Observe(32);
  sizes.Observe(5000);
  const auto text = registry.Render();
  EXPECT_NE(text.find("batch_size_bucket{le=\"1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("batch_size_bucket{le=\"2\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("batch_size_bucket{le=\"4\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("batch_size_bucket{le=\"32\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("batch_size_bucket{le=\"1024\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("batch_size_bucket{le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("batch_size_sum 5036\n"), std::string::npos);
  EXPECT_EQ(text.find("le=\"0.0005\""), std::string::npos);
}

}  // namespace
}  // namespace kpo::observability
