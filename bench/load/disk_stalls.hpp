#pragma once
// Stalls of the machine's disks while a phase runs. Every commit and every broker confirm waits for
// an fsync, so a disk that stops completing writes stops the whole pipeline, whatever the design;
// on a shared VM it happens (seen: 1.4 s with three writes in flight and none completed). The
// bench records such stalls per phase so that a slow second can be told apart from a slow system.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace kpo::bench {

// The whole-disk counters of /proc/diskstats that matter here, summed over the disks.
struct DiskCounters {
  std::uint64_t completed = 0;  // reads + writes completed
  std::uint64_t in_flight = 0;  // I/Os in progress
};

// Parses /proc/diskstats text: the sum over whole disks (partitions, loop, ram and device-mapper
// devices are left out, so that no I/O counts twice).
DiskCounters ParseDiskStats(const std::string& text);

struct DiskSlice {
  std::int64_t end_unix_ms = 0;
  bool stalled = false;  // I/O was in flight at both ends and none completed in between
};

struct DiskStalls {
  double stalled_s = 0;  // total length of the stalled slices
  double longest_s = 0;  // the longest run of consecutive stalled slices
};

// The stalls among `slices` that ended within [from_ms, to_ms].
DiskStalls StallsBetween(const std::vector<DiskSlice>& slices, std::int64_t from_ms, std::int64_t to_ms,
                         std::chrono::milliseconds slice);

// Samples /proc/diskstats every `slice` on a thread of its own until destroyed.
class DiskStallMonitor {
 public:
  explicit DiskStallMonitor(std::chrono::milliseconds slice = std::chrono::milliseconds(100));
  // Thread safe.
  DiskStalls Between(std::int64_t from_unix_ms, std::int64_t to_unix_ms) const;

 private:
  void Sample(const std::stop_token& stop);

  std::chrono::milliseconds slice_;
  mutable std::mutex mutex_;
  std::vector<DiskSlice> slices_;
  std::jthread thread_;  // last: stopped and joined before the members it uses go
};

}  // namespace kpo::bench
