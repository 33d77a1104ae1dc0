#pragma once
// Distributions and small helpers shared by the load generator and the report.
#include <boost/json/object.hpp>
#include <cstdint>
#include <vector>

namespace kpo::bench {

// Exact percentiles of a sample (milliseconds); all zero for an empty sample.
struct Distribution {
  std::size_t count = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};

// Sorts `values` in place and reads the nearest-rank percentiles.
Distribution Summarize(std::vector<double>& values);

boost::json::object ToJson(const Distribution& d);

// Milliseconds since the Unix epoch, from the system clock: the services stamp orders with the same clock.
std::int64_t UnixMillis();

}  // namespace kpo::bench
