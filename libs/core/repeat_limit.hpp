#pragma once
// Keeps a failure that repeats in a tight loop (accept on EMFILE, a dead database) from flooding
// the log: after a few lines of the same kind in a window, the rest of that window is counted,
// not written, and one line then says how many were left out.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kpo::core {

struct RepeatLimitPolicy {
  std::size_t lines_per_window = 10;
  std::chrono::milliseconds window = std::chrono::seconds(10);
  std::size_t max_kinds = 1'000;  // memory bound: beyond it the table starts afresh
};

// Not thread safe: the caller (a log sink) serialises calls.
class RepeatLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RepeatLimiter() = default;
  explicit RepeatLimiter(RepeatLimitPolicy policy) : policy_(policy) {}

  struct Verdict {
    bool write = true;
    // When this line opens a new window for its kind and lines of it were left out in the last
    // one: how many, for a "left out" line before it.
    std::size_t left_out_before = 0;
  };

  // Lines of one kind are lines whose text is the same once runs of digits are ignored, so "fd
  // 17" and "fd 18" repeat each other.
  Verdict Offer(std::string_view line, Clock::time_point now);

  static std::string KindOf(std::string_view line);

 private:
  struct Window {
    Clock::time_point started{};
    std::size_t written = 0;
    std::size_t left_out = 0;
  };
  RepeatLimitPolicy policy_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace kpo::core
