#include "gateway/domain/shedder.hpp"

#include <algorithm>

namespace kpo::gateway {

double Shedder::RefusedShare(Clock::time_point now) const {
  if (multiplier_ <= 0) return 0;
  const std::int64_t current = SliceOf(now);
  std::int64_t requests = 0;
  std::int64_t accepted = 0;
  {
    std::lock_guard lock(mutex_);
    for (const Bucket& bucket : buckets_) {
      if (bucket.slice > current - kBuckets && bucket.slice <= current) {
        requests += bucket.requests;
        accepted += bucket.accepted;
      }
    }
  }
  const double excess = static_cast<double>(requests) - multiplier_ * static_cast<double>(accepted);
  return std::clamp(excess / static_cast<double>(requests + 1), 0.0, max_share_);
}

void Shedder::Record(Clock::time_point now, bool accepted) {
  if (multiplier_ <= 0) return;
  const std::int64_t current = SliceOf(now);
  std::lock_guard lock(mutex_);
  Bucket& bucket = buckets_[static_cast<std::size_t>(current % kBuckets)];
  if (bucket.slice != current) bucket = Bucket{.slice = current};
  ++bucket.requests;
  if (accepted) ++bucket.accepted;
}

}  // namespace kpo::gateway
