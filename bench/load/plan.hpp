#pragma once
// The sequence of phases for one configuration of the system: the sustained-rate search, an
// overload at a multiple of the sustained rate, a recovery window, a phase at half the sustained
// rate, and a closed loop.
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "load/phase.hpp"

namespace kpo::bench {

struct PlanOptions {
  std::vector<double> search{100, 200, 400, 600, 800, 1000, 1300, 1600, 2000, 2500, 3000, 4000, 5000};
  double step_s = 10;
  // The rate every configuration runs, for a like-for-like latency comparison: a phase of its own
  // when the search did not run it (a configuration that failed below it). 0: none.
  double common_rate = 100;
  // A search step passes while completed/s >= min_completed_share * offered, created → terminal
  // p99 <= max_p99_ms and 503s <= max_rejected_share of the answers.
  double min_completed_share = 0.95;
  double max_p99_ms = 1000;
  double max_rejected_share = 0.01;
  double overload_factor = 2;
  double overload_s = 30;
  double recovery_s = 5;
  double half_s = 15;
  int closed_connections = 16;
  double closed_s = 10;
};

// Runs the plan, printing a line per phase; returns the configuration's result document.
boost::json::object RunPlan(PhaseRunner& runner, const PlanOptions& plan);

}  // namespace kpo::bench
