#include "gateway/domain/shedder.hpp"

#include <algorithm>

namespace kpo::gateway {

Shedder::Shedder(ShedderOptions options)
    : options_(options), slice_(std::chrono::nanoseconds(options.window) / kSlices) {}

Shedder::Slice& Shedder::Current(Clock::time_point now) {
  const std::int64_t index = now.time_since_epoch() / slice_;
  auto& slice = slices_[static_cast<std::size_t>(index) % kSlices];
  if (slice.index != index) slice = Slice{.index = index};
  return slice;
}

double Shedder::Share(Clock::time_point now) {
  const std::int64_t oldest = now.time_since_epoch() / slice_ - static_cast<std::int64_t>(kSlices) + 1;
  std::uint64_t answered = 0;
  std::uint64_t refused = 0;
  for (const auto& slice : slices_) {
    if (slice.index < oldest) continue;  // older than the window
    answered += slice.answered;
    refused += slice.refused;
  }
  if (answered == 0) return 0;
  const double refused_share = static_cast<double>(refused) / static_cast<double>(answered);
  return std::max(0.0, refused_share - options_.probe_share);
}

bool Shedder::ShedNext(Clock::time_point now) {
  if (options_.window.count() == 0) return false;
  const std::scoped_lock lock(mutex_);
  const double share = Share(now);
  if (share == 0) {
    owed_ = 0;
    return false;
  }
  owed_ += share;
  if (owed_ < 1) return false;
  owed_ -= 1;
  return true;
}

void Shedder::Observe(int status, bool has_retry_after, Clock::time_point now) {
  if (options_.window.count() == 0) return;
  const std::scoped_lock lock(mutex_);
  auto& slice = Current(now);
  slice.answered += 1;
  if (status == 503 && has_retry_after) slice.refused += 1;
}

double Shedder::RefusalShare(Clock::time_point now) {
  if (options_.window.count() == 0) return 0;
  const std::scoped_lock lock(mutex_);
  return Share(now);
}

}  // namespace kpo::gateway
