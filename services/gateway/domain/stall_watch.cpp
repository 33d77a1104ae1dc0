#include "gateway/domain/stall_watch.hpp"

namespace kpo::gateway {

void StallWatch::Sent(Clock::time_point now) {
  // The mark is set before the count rises: whoever sees the count rise sees the mark too, so an
  // idle replica's old mark never makes its first request look stalled.
  // A compare-and-swap, not a load then an add: a request abandoned in between could otherwise leave
  // the count rising from 0 with the old mark.
  int waiting = waiting_.load();
  do {
    if (waiting == 0) progress_at_.store(now.time_since_epoch().count());
  } while (!waiting_.compare_exchange_weak(waiting, waiting + 1));
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

bool StallWatch::TryProbe() { return !probing_.exchange(true); }

void StallWatch::ProbeEnded() { probing_.store(false); }

bool StallWatch::FirstReportOfThisStall() { return !reported_.exchange(true); }

}  // namespace kpo::gateway
