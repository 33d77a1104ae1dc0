#include "core/queue_codel.hpp"

#include <algorithm>

namespace kpo::core {

bool QueueCodel::Refuse(Clock::duration waited, Clock::time_point now) {
  if (policy_.max_wait.count() > 0 && waited > policy_.max_wait) return true;
  if (policy_.target.count() == 0) return false;
  std::lock_guard lock(mutex_);
  if (now >= interval_end_) {
    // A whole interval without any request served within the target: the queue stands. An
    // interval in which no request came (min_wait_ untouched) found no queue at all.
    overloaded_.store(min_wait_ != Clock::duration::max() && min_wait_ > policy_.target,
                      std::memory_order_relaxed);
    min_wait_ = waited;
    interval_end_ = now + policy_.interval;
  } else {
    min_wait_ = std::min(min_wait_, waited);
  }
  return overloaded_.load(std::memory_order_relaxed) && waited > 2 * policy_.target;
}

}  // namespace kpo::core
