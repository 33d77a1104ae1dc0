#include "gateway/domain/stall_watch.hpp"

namespace kpo::gateway {

void StallWatch::Sent(Clock::time_point now) {
  // The mark is set before the count rises: whoever sees the count rise sees the mark too, so an
  // idle replica's old mark never makes its first request look stalled.
  if (waiting_.load() == 0) progress_at_.store(now.time_since_epoch().count());
  waiting_.fetch_add(1);
}

void StallWatch::Answered(Clock::time_point now) {
  progress_at_.store(now.time_since_epoch().count());
  reported_.store(false);
  waiting_.fetch_sub(1);
}

void StallWatch::Abandoned() { waiting_.fetch_sub(1); }

bool StallWatch::Stalled(Clock::time_point now, std::chrono::milliseconds bound) const {
  return waiting_.load() > 0 &&
         now.time_since_epoch().count() - progress_at_.load() > Clock::duration(bound).count();
}

bool StallWatch::FirstReportOfThisStall() { return !reported_.exchange(true); }

}  // namespace kpo::gateway
