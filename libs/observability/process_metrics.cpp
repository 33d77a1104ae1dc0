#include "observability/process_metrics.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace kpo::observability {
namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<ProcStat> ReadProcStat() { return ParseProcStat(ReadFile("/proc/self/stat")); }

// Boot time in seconds since the epoch (/proc/stat "btime"): start_ticks count from it.
double BootTime() {
  std::istringstream in(ReadFile("/proc/stat"));
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && (in >> value)) return value;
  }
  return 0;
}

double OpenFds() {
  std::error_code error;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error))
    ++count;
  // The iterator's own descriptor is not one of the process's.
  return count > 0 ? count - 1 : count;
}

double MaxFds() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
  return static_cast<double>(limit.rlim_cur);
}

}  // namespace

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  const auto close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> fields;  // fields[k] is field k + 3 of proc(5)
  std::string_view rest = text.substr(close + 1);
  while (fields.size() < 22) {
    const auto begin = rest.find_first_not_of(" \n");
    if (begin == std::string_view::npos) break;
    rest.remove_prefix(begin);
    const auto end = std::min(rest.find_first_of(" \n"), rest.size());
    fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end);
  }
  if (fields.size() < 22) return std::nullopt;
  const auto number = [&](int field, std::uint64_t& out) {
    const auto text_of = fields[static_cast<std::size_t>(field - 3)];
    const auto [ptr, ec] = std::from_chars(text_of.data(), text_of.data() + text_of.size(), out);
    return ec == std::errc() && ptr == text_of.data() + text_of.size();
  };
  std::uint64_t utime = 0, stime = 0;
  ProcStat stat;
  if (!number(14, utime) || !number(15, stime) || !number(22, stat.start_ticks) ||
      !number(24, stat.rss_pages))
    return std::nullopt;
  stat.cpu_ticks = utime + stime;
  return stat;
}

std::string_view BuildVersion() { return KPO_BUILD_VERSION; }

void RegisterProcessMetrics(Registry& registry) {
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  const auto stat = ReadProcStat();
  const double start = BootTime() + (stat ? static_cast<double>(stat->start_ticks) / ticks : 0);
  registry.AddSampled("process_cpu_seconds_total", "User and system CPU time spent in seconds.",
                      SampleType::kCounter, "", [ticks] {
                        const auto now = ReadProcStat();
                        return now ? static_cast<double>(now->cpu_ticks) / ticks : 0;
                      });
  registry.AddSampled("process_resident_memory_bytes", "Resident memory size in bytes.", SampleType::kGauge,
                      "", [page] {
                        const auto now = ReadProcStat();
                        return now ? static_cast<double>(now->rss_pages) * page : 0;
                      });
  registry.AddSampled("process_open_fds", "Number of open file descriptors.", SampleType::kGauge, "",
                      OpenFds);
  registry.AddSampled("process_max_fds", "Maximum number of open file descriptors.", SampleType::kGauge, "",
                      MaxFds);
  registry.AddSampled("process_start_time_seconds", "Start time of the process since the epoch in seconds.",
                      SampleType::kGauge, "", [start] { return start; });
  registry
      .GetGauge("build_info", "The build running: always 1, with its version and commit as labels.",
                fmt::format(R"(version="{}",commit="{}")", BuildVersion(), BuildCommit()))
      .Set(1);
}

}  // namespace kpo::observability
