#pragma once
// One measured phase: the load, the wait for every accepted order to finish, then what it cost.
#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "load/db_probe.hpp"
#include "load/disk_stalls.hpp"
#include "load/http_load.hpp"
#include "load/proc_cpu.hpp"
#include "load/users.hpp"

namespace kpo::bench {

struct PhaseSpec {
  std::string name;
  double rate = 0;      // open loop: orders per second
  int connections = 0;  // closed loop when > 0
  std::chrono::milliseconds duration{10000};
};

struct PhaseSettings {
  double orders_per_user_s = 40;  // below the gateway's 100 req/s per user
  std::chrono::milliseconds drain_timeout{30000};
  std::chrono::milliseconds warmup{2000};  // left out of the steady completed/s
  std::chrono::milliseconds settle{
      1100};  // PostgreSQL publishes a backend's statistics at most once a second
};

// The figures the plan decides on; everything else is in `json`.
struct PhaseResult {
  double completed_rps = 0;  // steady completions per second (after the warm-up, until the sending ends)
  double c2t_p99_ms = 0;     // created → terminal of the accepted orders
  double rejected_share = 0;
  double min_bucket_rps = 0;             // the slowest whole second of completions while sending
  std::optional<double> backlog_gone_s;  // last completion - end of sending; nullopt if some never completed
  std::int64_t pending = 0;
  boost::json::object json;
};

class PhaseRunner {
 public:
  PhaseRunner(LoadClient& client, UserPool& users, DbProbe& db, const CpuSampler& cpu,
              const DiskStallMonitor& disk, PhaseSettings settings)
      : client_(client), users_(users), db_(db), cpu_(cpu), disk_(disk), settings_(settings) {}

  // Throws on a database or gateway failure (the caller's edge reports it).
  PhaseResult Run(const PhaseSpec& spec);

 private:
  std::int64_t WaitForDrain(const PhaseWindow& window);

  LoadClient& client_;
  UserPool& users_;
  DbProbe& db_;
  const CpuSampler& cpu_;
  const DiskStallMonitor& disk_;
  PhaseSettings settings_;
};

}  // namespace kpo::bench
