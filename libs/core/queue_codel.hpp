#pragma once
// When to refuse work that waited in a queue: CoDel ("Controlling Queue Delay", Nichols and
// Jacobson, 2012), as RPC servers apply it to their request queues. A queue that empties now and
// then is a burst being absorbed: nothing is refused, however long one request waited (up to a
// hard bound). A queue that stands (even its shortest wait over a whole interval exceeded the
// target) is overload: then requests that waited more than twice the target are refused, so the
// answers stay fast and the queue drains to the target instead of growing.
#include <atomic>
#include <chrono>
#include <mutex>

namespace kpo::core {

struct CodelPolicy {
  // Off by default (target 0): measured on the 2-core machine, where the HTTP side and the pipeline
  // share the cores, refusing on a standing queue (target 20 ms or 5 ms) lowered the sustained rate
  // and, with the gateway's shedding window after each refusal, starved the pipeline under overload
  // (README, Benchmarks). What stays on is the hard bound below.
  std::chrono::milliseconds target{0};       // acceptable standing wait; 0 turns CoDel off
  std::chrono::milliseconds interval{200};   // how long the wait must stand above target
  std::chrono::milliseconds max_wait{1000};  // refused beyond this whatever the state; 0: no bound
};

// Thread safe (a mutex: one short critical section per dequeued request).
class QueueCodel {
 public:
  using Clock = std::chrono::steady_clock;
  explicit QueueCodel(CodelPolicy policy) : policy_(policy) {}

  // A request that waited `waited` is taken from the queue at `now`: whether to refuse it.
  bool Refuse(Clock::duration waited, Clock::time_point now);

  // Whether the last complete interval found a standing queue. Wait free.
  bool Overloaded() const { return overloaded_.load(std::memory_order_relaxed); }

 private:
  CodelPolicy policy_;
  mutable std::mutex mutex_;
  Clock::time_point interval_end_{};
  Clock::duration min_wait_ = Clock::duration::max();
  std::atomic<bool> overloaded_ = false;
};

}  // namespace kpo::core
