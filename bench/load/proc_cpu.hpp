#pragma once
// CPU time (user + system) of the processes that serve an order, from /proc/<pid>/stat.
#include <map>
#include <string>

namespace kpo::bench {

// Milliseconds of CPU by group: orders, payments, gateway (pids from <run_dir>/<name>.pid),
// postgres (every process named postgres, with the time of the backends it has reaped),
// rabbitmq (beam.smp) and loadgen (this process).
using CpuSample = std::map<std::string, double>;

class CpuSampler {
 public:
  explicit CpuSampler(std::string run_dir) : run_dir_(std::move(run_dir)) {}
  CpuSample Take() const;

 private:
  std::string run_dir_;
};

// after - before, group by group (a group missing from either side counts as absent).
CpuSample Delta(const CpuSample& before, const CpuSample& after);

}  // namespace kpo::bench
