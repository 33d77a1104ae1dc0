#include "load/proc_cpu.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

namespace kpo::bench {
namespace {

struct ProcStat {
  std::string comm;
  double own_ms = 0;       // utime + stime, all threads
  double children_ms = 0;  // cutime + cstime: children that have exited and been waited for
};

std::optional<ProcStat> ReadStat(const std::string& pid) {
  std::ifstream file("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(file, line)) return std::nullopt;  // the process has exited
  // The command name is in parentheses and may itself contain spaces or parentheses.
  const auto open = line.find('(');
  const auto close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::vector<std::string> fields;
  for (std::string field; rest >> field && fields.size() < 15;) fields.push_back(field);
  if (fields.size() < 15) return std::nullopt;
  // fields[0] is field 3 of proc(5): utime is 14, stime 15, cutime 16, cstime 17.
  const double tick_ms = 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
  ProcStat stat{line.substr(open + 1, close - open - 1)};
  stat.own_ms = (std::stod(fields[11]) + std::stod(fields[12])) * tick_ms;
  stat.children_ms = (std::stod(fields[13]) + std::stod(fields[14])) * tick_ms;
  return stat;
}

std::optional<std::string> PidFromFile(const std::string& path) {
  std::ifstream file(path);
  std::string pid;
  if (!(file >> pid)) return std::nullopt;
  return pid;
}

}  // namespace

CpuSample CpuSampler::Take() const {
  CpuSample sample;
  for (const char* name : {"orders", "payments", "gateway"}) {
    const auto pid = PidFromFile(run_dir_ + "/" + name + ".pid");
    if (!pid) continue;
    if (auto stat = ReadStat(*pid)) sample[name] = stat->own_ms;
  }
  if (auto self = ReadStat(std::to_string(::getpid()))) sample["loadgen"] = self->own_ms;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const auto pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto stat = ReadStat(pid);
    if (!stat) continue;
    if (stat->comm == "postgres") sample["postgres"] += stat->own_ms + stat->children_ms;
    if (stat->comm == "beam.smp") sample["rabbitmq"] += stat->own_ms;
  }
  return sample;
}

MachineTicks ParseMachineTicks(const std::string& proc_stat) {
  std::istringstream lines(proc_stat);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("cpu ")) continue;
    // cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is already
    // counted in user and nice.
    std::istringstream fields(line.substr(4));
    double value[8] = {};
    for (double& v : value) fields >> v;
    return {.busy = value[0] + value[1] + value[2] + value[5] + value[6],
            .idle = value[3] + value[4],
            .steal = value[7]};
  }
  return {};
}

MachineTicks ReadMachineTicks() {
  std::ifstream file("/proc/stat");
  std::stringstream text;
  text << file.rdbuf();
  return ParseMachineTicks(text.str());
}

MachineShares Shares(const MachineTicks& before, const MachineTicks& after) {
  const double busy = after.busy - before.busy;
  const double idle = after.idle - before.idle;
  const double steal = after.steal - before.steal;
  const double all = busy + idle + steal;
  if (all <= 0) return {};
  return {.busy = busy / all, .idle = idle / all, .steal = steal / all};
}

CpuSample Delta(const CpuSample& before, const CpuSample& after) {
  CpuSample delta;
  for (const auto& [name, ms] : after) {
    const auto it = before.find(name);
    if (it != before.end()) delta[name] = ms - it->second;
  }
  return delta;
}

}  // namespace kpo::bench
