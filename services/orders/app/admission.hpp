#pragma once
// Backpressure for new orders: while the pipeline is behind, new orders are refused at once (503
// + Retry-After) instead of joining a backlog that would take seconds to drain. "Behind" means
// the oldest order created in the last `window` has waited for its payment longer than `max_lag`
// (measured in the database, so it covers every replica, the relays, the broker and payments).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>

namespace kpo::orders {

struct AdmissionOptions {
  std::string database_url;
  std::chrono::milliseconds max_lag{1000};  // 0 turns backpressure off
  std::chrono::milliseconds check_every{100};
  std::chrono::seconds window{30};
};

class Admission {
 public:
  explicit Admission(AdmissionOptions options) : options_(std::move(options)) {}

  // Whether a new order may be accepted now. Thread safe, wait free.
  bool Admits() const { return !refusing_.load(std::memory_order_relaxed); }

  // Measures the lag every check_every until `stop` (returns at once when backpressure is off);
  // reconnects after database failures, keeping the last decision meanwhile.
  void Run(std::stop_token stop);

 private:
  AdmissionOptions options_;
  std::atomic<bool> refusing_ = false;
};

}  // namespace kpo::orders
