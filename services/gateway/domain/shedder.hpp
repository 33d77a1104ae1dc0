#pragma once
// Load shedding at the edge, in proportion. When a service refuses a route's requests because it
// is overloaded (503 with Retry-After), the gateway refuses a share of that route's next requests
// itself, so that it passes on about `multiplier` times what the service accepted over the last
// window and no more: under overload most refusals then cost the service nothing and stay fast
// (they wait for no one), while the service still sees a little more than it takes, so its own
// admission decides and the share follows its capacity as that changes. This is the adaptive
// throttling of Google's SRE book ("Handling Overload"): refuse with probability
// max(0, (requests - multiplier * accepted) / (requests + 1)).
// It replaced a window during which every request was refused after one 503: that turned a
// service refusing a few requests into the gateway refusing all of them for 100 ms, then a burst,
// and completed orders swung between a quarter and all of the sustained rate each second.
#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>

namespace kpo::gateway {

class Shedder {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kBuckets = 10;

  // `multiplier` 0 never sheds. The window is counted in kBuckets slices.
  explicit Shedder(double multiplier, std::chrono::milliseconds window = std::chrono::seconds(1))
      : multiplier_(multiplier),
        slice_(std::max<Clock::rep>(1, Clock::duration(window).count() / kBuckets)) {}

  // The share of requests to refuse here at `now`, from the window's counts. Thread safe.
  double RefusedShare(Clock::time_point now) const;
  // Whether to refuse a request here; `draw` is uniform in [0, 1). Thread safe.
  bool Shed(Clock::time_point now, double draw) const { return draw < RefusedShare(now); }
  // Counts one request of the route: refused here or by the service as overloaded (accepted
  // false), or answered otherwise by the service (accepted true). Thread safe.
  void Record(Clock::time_point now, bool accepted);

 private:
  struct Bucket {
    std::int64_t slice = -1;  // which slice of time it counts; older ones are stale
    std::int64_t requests = 0;
    std::int64_t accepted = 0;
  };
  std::int64_t SliceOf(Clock::time_point now) const { return now.time_since_epoch().count() / slice_; }

  double multiplier_;
  Clock::rep slice_;
  mutable std::mutex mutex_;
  std::array<Bucket, kBuckets> buckets_{};
};

}  // namespace kpo::gateway
