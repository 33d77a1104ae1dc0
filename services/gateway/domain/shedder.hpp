#pragma once
// Load shedding at the edge. When a service refuses a route because it is overloaded (503 with
// Retry-After), the gateway answers that route's next requests itself for a short window instead
// of passing each one on: under overload the refusals then cost the service nothing, and stay
// fast because they wait for no one. One request after the window probes the service again.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace kpo::gateway {

class Shedder {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Shedder(std::chrono::milliseconds window) : window_(window) {}

  // Whether requests are refused here at `now`. Thread safe, wait free.
  bool Shedding(Clock::time_point now) const {
    return now.time_since_epoch().count() < until_.load(std::memory_order_relaxed);
  }
  // Records the service's answer: a 503 with Retry-After starts a window (0 disables shedding).
  void Observe(int status, bool has_retry_after, Clock::time_point now) {
    if (status != 503 || !has_retry_after || window_.count() == 0) return;
    until_.store((now + window_).time_since_epoch().count(), std::memory_order_relaxed);
  }

 private:
  std::chrono::milliseconds window_;
  std::atomic<Clock::rep> until_{0};
};

}  // namespace kpo::gateway
