#pragma once
// Prometheus metrics: counters, gauges and histograms kept in a process-wide registry and rendered
// in the text exposition format for GET /metrics. All operations are thread safe; updating a
// metric is a few relaxed atomic operations, never a lock.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace kpo::observability {

class Counter {
 public:
  void Add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down (connections in use, rows waiting).
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Bucket upper bounds: latencies in seconds (0.5 ms to 60 s; 30 s is the gateway's upstream timeout,
// whose 504s histogram_quantile would otherwise report as the last bound's 10 s) and sizes in items (1
// to 1024).
inline constexpr std::array<double, 16> kLatencyBounds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
inline constexpr std::array<double, 11> kSizeBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

// A histogram over fixed bucket bounds (ascending), latencies in seconds unless told otherwise.
class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds = kLatencyBounds);
  void Observe(double value);
  // Observations so far.
  std::uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  std::string Render(const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1, the last is +Inf
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// What a sampled metric is exposed as.
enum class SampleType { kGauge, kCounter };

// Metric families keyed by name and label set ("route=\"/x\",status=\"200\"").
// References returned stay valid for the life of the registry (the process, for Global()).
class Registry {
 public:
  static Registry& Global();
  Counter& GetCounter(const std::string& name, const std::string& help, const std::string& labels = "");
  Gauge& GetGauge(const std::string& name, const std::string& help, const std::string& labels = "");
  // `bounds` counts only when the histogram is created: the first caller for a name and labels
  // decides them.
  Histogram& GetHistogram(const std::string& name, const std::string& help, const std::string& labels = "",
                          std::span<const double> bounds = kLatencyBounds);
  // Registers (or replaces) a value read at every Render, i.e. at scrape time: for figures that
  // are cheaper to read when asked than to keep up to date (/proc). `sample` runs under the
  // registry's lock, so it must be quick, must not use the registry and must stay callable for
  // the registry's life.
  void AddSampled(const std::string& name, const std::string& help, SampleType type,
                  const std::string& labels, std::function<double()> sample);
  std::string Render() const;

 private:
  struct Family {
    std::string help;
    std::string type;
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
    std::map<std::string, std::function<double()>> sampled;
  };
  Family& FamilyOf(const std::string& name, const std::string& help, const char* type);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
};

}  // namespace kpo::observability
