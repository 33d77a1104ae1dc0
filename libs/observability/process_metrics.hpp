#pragma once
// The standard process_* metrics of a Prometheus client (read from /proc/self at scrape time) and
// build_info, so that an operator sees memory, CPU, descriptors and which build is running.
#include <cstdint>
#include <optional>
#include <string_view>

#include "observability/metrics.hpp"

namespace kpo::observability {

// The figures of /proc/<pid>/stat that the process metrics need, in the kernel's units.
struct ProcStat {
  std::uint64_t cpu_ticks = 0;    // utime + stime, in clock ticks
  std::uint64_t start_ticks = 0;  // start time after boot, in clock ticks
  std::uint64_t rss_pages = 0;
};

// Parses the content of /proc/<pid>/stat; nullopt when it is not in the kernel's format.
std::optional<ProcStat> ParseProcStat(std::string_view text);

// Registers process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds (sampled at every scrape) and
// build_info{version,commit} = 1 in `registry`. Idempotent; thread safe.
void RegisterProcessMetrics(Registry& registry);

// The version this binary was configured from, and the commit it was built from ("unknown" without
// git; cmake/build_commit.cmake writes it at every build).
std::string_view BuildVersion();
std::string_view BuildCommit();

}  // namespace kpo::observability
