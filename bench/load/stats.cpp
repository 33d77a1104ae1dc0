#include "load/stats.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace kpo::bench {
namespace {

// Nearest rank: the smallest value with at least p of the sample at or below it.
double Rank(const std::vector<double>& sorted, double p) {
  const auto n = static_cast<double>(sorted.size());
  const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(p * n)));
  return sorted[std::min(rank, sorted.size()) - 1];
}

double Round3(double v) { return std::round(v * 1000.0) / 1000.0; }

}  // namespace

Distribution Summarize(std::vector<double>& values) {
  Distribution d;
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  d.count = values.size();
  d.p50 = Rank(values, 0.50);
  d.p90 = Rank(values, 0.90);
  d.p99 = Rank(values, 0.99);
  d.max = values.back();
  return d;
}

boost::json::object ToJson(const Distribution& d) {
  return {{"count", d.count},
          {"p50_ms", Round3(d.p50)},
          {"p90_ms", Round3(d.p90)},
          {"p99_ms", Round3(d.p99)},
          {"max_ms", Round3(d.max)}};
}

std::int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace kpo::bench
