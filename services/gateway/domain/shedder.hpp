#pragma once
// Load shedding at the edge, in proportion. When a service refuses a route's requests because it
// is overloaded (503 with Retry-After), the gateway refuses a share of that route's next requests
// itself, so that it passes on about `multiplier` times what the service accepted over the last
// window and no more: under overload most refusals then cost the service nothing and stay fast
// (they wait for no one), while the service still sees a little more than it takes, so its own
// admission decides and the share follows its capacity as that changes. This is the adaptive
// throttling of Google's SRE book ("Handling Overload"): refuse with probability
// max(0, (requests - multiplier * accepted) / (requests + 1)).
// The share refused here stops at `max_share` (Envoy's admission control stops at 80 % too): without
// that cap, after the service refused everything for a second (admission waiting for its pipeline
// to drain), nearly every request was refused here, so the service accepted almost none, which kept
// the share near 1; the flow grew back by about the multiple per window, and in one overload the
// service got 0-255 requests a second for 7 s after it had opened again. With the cap it always
// sees a part of the traffic and the share follows its recovery within a window or two.
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

  static constexpr double kDefaultMaxShare = 0.8;

  // `multiplier` 0 never sheds. The window is counted in kBuckets slices. At most `max_share` of the
  // requests are refused here (0..1).
  explicit Shedder(double multiplier, std::chrono::milliseconds window = std::chrono::seconds(1),
                   double max_share = kDefaultMaxShare)
      : multiplier_(multiplier),
        max_share_(max_share),
        slice_(std::max<Clock::rep>(1, Clock::duration(window).count() / kBuckets)) {}

  // The share of requests to refuse here at `now`, from the window's counts, at most max_share.
  // Thread safe.
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
  double max_share_;
  Clock::rep slice_;
  mutable std::mutex mutex_;
  std::array<Bucket, kBuckets> buckets_{};
};

}  // namespace kpo::gateway
