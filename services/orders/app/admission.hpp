#pragma once
// Backpressure for new orders. While the pipeline keeps up, every order is admitted. Once it is
// behind (the oldest order created in the last `window` has waited for its payment longer than the
// policy's target), new orders are admitted at about the rate orders are completing and the rest
// are refused at once (503 + Retry-After) instead of joining a backlog that would take seconds to
// drain (see domain/admission_control.hpp for the policy). The lag is measured in the database, so
// it covers every replica, the relays, the broker and payments; the completion rate is this
// replica's own (the payment results its consumers applied).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "orders/domain/admission_control.hpp"

namespace kpo::orders {

struct AdmissionOptions {
  std::string database_url;
  std::chrono::milliseconds max_lag{2000};  // 0 turns backpressure off
  std::chrono::milliseconds target_lag{1000};
  std::chrono::milliseconds check_every{100};
  std::chrono::seconds window{30};
};

class Admission {
 public:
  explicit Admission(AdmissionOptions options);

  // Whether one new order may be accepted now; counts it as offered either way. Thread safe.
  bool TryAdmit();

  // Measures the lag every check_every until `stop` (returns at once when backpressure is off);
  // reconnects after database failures, keeping the last decision meanwhile.
  void Run(std::stop_token stop);

 private:
  // Applies a new limit (orders/s; nullopt: none) to the token bucket.
  void SetLimit(std::optional<double> limit);

  AdmissionOptions options_;
  AdmissionControl control_;
  std::atomic<bool> limited_ = false;
  std::atomic<std::uint64_t> offered_ = 0;
  // The token bucket, used only while limited_.
  std::mutex bucket_mutex_;
  double rate_ = 0;    // tokens per second
  double tokens_ = 0;  // at most rate_ × kBurst
  std::chrono::steady_clock::time_point refilled_at_;
};

}  // namespace kpo::orders
