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

// The whole machine's CPU time from the "cpu" line of /proc/stat, in clock ticks: what every process
// ran (busy), what nobody used (idle, iowait) and what the hypervisor gave to other guests while this
// one had work (steal). A VM's neighbours can take a third of its CPU for seconds: a phase measured
// then is not comparable with a quiet one, and the figures say so.
struct MachineTicks {
  double busy = 0;
  double idle = 0;
  double steal = 0;
};

// Parses /proc/stat's text; all zero when it has no "cpu " line.
MachineTicks ParseMachineTicks(const std::string& proc_stat);
MachineTicks ReadMachineTicks();

// Each share of the time between two readings (0..1; all zero when no time passed).
struct MachineShares {
  double busy = 0;
  double idle = 0;
  double steal = 0;
};
MachineShares Shares(const MachineTicks& before, const MachineTicks& after);

}  // namespace kpo::bench
