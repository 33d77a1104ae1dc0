#pragma once
// Load shedding at the edge. The gateway keeps, over a short sliding window, the share of a route's
// forwarded requests that the service refused as overloaded (503 with Retry-After), and refuses
// that share of new requests itself, less a probe share: under overload the surplus then costs
// the service nothing and its refusals stay fast, while the service still sees enough requests to
// decide which it takes and to show when it recovers. The share is measured on forwarded requests
// only, so it falls back within one window once the service accepts again. (A fixed "refuse
// everything for a while" window alternated between starving and flooding the service; Google's
// adaptive throttling, which counts the gateway's own refusals too, took seconds to let go.)
#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>

namespace kpo::gateway {

struct ShedderOptions {
  std::chrono::milliseconds window{500};  // 0 disables shedding
  double probe_share = 0.1;               // passed on even while the service refuses everything
};

class Shedder {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Shedder(ShedderOptions options);

  // Decides for one request arriving at `now`: true means "refuse it here". The refusals are
  // spread evenly (not drawn at random), so the shed share is exact. Thread safe.
  bool ShedNext(Clock::time_point now);
  // Records the service's answer to a forwarded request.
  void Observe(int status, bool has_retry_after, Clock::time_point now);
  // The share ShedNext refuses at `now` (for tests).
  double RefusalShare(Clock::time_point now);

 private:
  static constexpr std::size_t kSlices = 4;
  struct Slice {
    std::int64_t index = -1;  // which slice of time the counts belong to
    std::uint64_t answered = 0;
    std::uint64_t refused = 0;
  };
  Slice& Current(Clock::time_point now);  // caller holds mutex_
  double Share(Clock::time_point now);    // caller holds mutex_

  ShedderOptions options_;
  std::chrono::nanoseconds slice_;
  std::mutex mutex_;
  std::array<Slice, kSlices> slices_{};
  double owed_ = 0;  // refusals owed: grows by the share per request, one refusal spends 1
};

}  // namespace kpo::gateway
