#pragma once
// Backpressure for new orders: while the pipeline is behind, new orders are refused at once (503
// + Retry-After) instead of joining a backlog that would take seconds to drain. The backlog is
// measured in the database every `check_every` (so it covers every replica, the relays, the broker
// and payments), and each measurement grants admissions until the next one (domain/
// admission_policy.hpp says how many).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>

#include "orders/domain/admission_policy.hpp"

namespace kpo::orders {

struct AdmissionOptions {
  std::string database_url;
  AdmissionBounds bounds;
  std::chrono::milliseconds check_every{100};
  std::chrono::seconds window{30};  // orders older than this no longer count (a stuck one is the DLQ's)
};

class Admission {
 public:
  explicit Admission(AdmissionOptions options) : options_(std::move(options)) {}

  // Takes one admission if any is left: whether a new order may be accepted now. Thread safe,
  // wait free. Until the first measurement, and while the database cannot be measured, it admits
  // (requests then find out about the database themselves).
  bool Admit() { return admissions_.fetch_sub(1, std::memory_order_relaxed) > 0; }

  // Measures every check_every until `stop` (returns at once when backpressure is off);
  // reconnects after database failures.
  void Run(std::stop_token stop);

 private:
  void Grant(std::int64_t admissions, const PipelineBacklog& backlog);

  AdmissionOptions options_;
  std::atomic<std::int64_t> admissions_ = kUnboundedAdmissions;
  bool refusing_ = false;  // to log changes only; Run's thread alone
};

}  // namespace kpo::orders
