#include "load/disk_stalls.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "load/stats.hpp"

namespace kpo::bench {
namespace {

// sda, vda, xvda, nvme0n1, mmcblk0 are whole disks; sda1, nvme0n1p1, mmcblk0p1 are partitions.
bool WholeDisk(const std::string& name) {
  if (name.starts_with("loop") || name.starts_with("ram") || name.starts_with("dm-") ||
      name.starts_with("zram"))
    return false;
  if (name.starts_with("nvme") || name.starts_with("mmcblk")) return name.find('p', 4) == std::string::npos;
  return !name.empty() && (std::isdigit(static_cast<unsigned char>(name.back())) == 0);
}

std::optional<DiskCounters> ReadCounters() {
  std::ifstream in("/proc/diskstats");
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return ParseDiskStats(text.str());
}

}  // namespace

DiskCounters ParseDiskStats(const std::string& text) {
  DiskCounters sum;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::uint64_t major = 0, minor = 0, reads = 0, reads_merged = 0, sectors_read = 0, read_ms = 0,
                  writes = 0, writes_merged = 0, sectors_written = 0, write_ms = 0, in_flight = 0;
    std::string name;
    if (!(fields >> major >> minor >> name >> reads >> reads_merged >> sectors_read >> read_ms >> writes >>
          writes_merged >> sectors_written >> write_ms >> in_flight) ||
        !WholeDisk(name)) {
      continue;
    }
    sum.completed += reads + writes;
    sum.in_flight += in_flight;
  }
  return sum;
}

DiskStalls StallsBetween(const std::vector<DiskSlice>& slices, std::int64_t from_ms, std::int64_t to_ms,
                         std::chrono::milliseconds slice) {
  const double slice_s = std::chrono::duration<double>(slice).count();
  DiskStalls stalls;
  double run = 0;
  for (const auto& s : slices) {
    if (s.end_unix_ms < from_ms || s.end_unix_ms > to_ms) continue;
    run = s.stalled ? run + slice_s : 0;
    if (s.stalled) stalls.stalled_s += slice_s;
    stalls.longest_s = std::max(stalls.longest_s, run);
  }
  return stalls;
}

DiskStallMonitor::DiskStallMonitor(std::chrono::milliseconds slice)
    : slice_(slice), thread_([this](const std::stop_token& stop) { Sample(stop); }) {}

void DiskStallMonitor::Sample(const std::stop_token& stop) {
  auto previous = ReadCounters();
  if (!previous) return;  // no /proc/diskstats (not Linux): nothing is recorded
  auto next_tick = std::chrono::steady_clock::now();
  while (!stop.stop_requested()) {
    next_tick += slice_;
    std::this_thread::sleep_until(next_tick);
    const auto current = ReadCounters();
    if (!current) return;
    const bool stalled =
        previous->in_flight > 0 && current->in_flight > 0 && current->completed == previous->completed;
    const std::scoped_lock lock(mutex_);
    slices_.push_back({UnixMillis(), stalled});
    previous = current;
  }
}

DiskStalls DiskStallMonitor::Between(std::int64_t from_unix_ms, std::int64_t to_unix_ms) const {
  const std::scoped_lock lock(mutex_);
  return StallsBetween(slices_, from_unix_ms, to_unix_ms, slice_);
}

}  // namespace kpo::bench
