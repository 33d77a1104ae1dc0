#pragma once
// Backpressure for new orders: while the pipeline is behind, new orders are refused at once (503
// + Retry-After) instead of joining a backlog that would take seconds to drain. The backlog is
// measured in the database every `check_every` (so it covers every replica, the relays, the broker
// and payments), and each measurement grants admissions until the next one (domain/
// admission_policy.hpp says how many).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>

#include "orders/domain/admission_policy.hpp"

namespace kpo::orders {

struct AdmissionOptions {
  std::string database_url;
  AdmissionBounds bounds;
  // New orders this replica may have let in and not yet answered (0: no bound). Under overload
  // every request waits for a core, so the more are in hand the longer each waits: the bound keeps
  // the answer quick and refuses the rest at once, as the pipeline bound alone does not (it admits
  // all the pipeline finishes, which is all the machine can do, leaving nothing for quick answers).
  int max_in_flight = 0;
  std::chrono::milliseconds check_every{100};
  // Orders older than this no longer count while later ones are paid for (a stuck one is the
  // DLQ's); with none paid for after one, the pipeline is stalled (admission_policy.hpp).
  std::chrono::seconds window{30};
};

class Admission {
 public:
  // Registers orders_admission_refusals_total{reason} for both reasons, so /metrics shows them at 0
  // before the first refusal.
  explicit Admission(AdmissionOptions options);

  // Why a new order is refused; kNone: it is let in.
  enum class Refusal { kNone, kInFlight, kPipelineBehind };

  // Lets a new order in if fewer than max_in_flight are in hand and an admission is left (taking
  // it), holding one in-flight place in `ticket` until the ticket is destroyed. Thread safe, wait
  // free. Until the first measurement, and while the database cannot be measured, admissions are
  // unbounded (requests then find out about the database themselves).
  Refusal Admit(std::shared_ptr<void>& ticket);

  // New orders let in and not yet answered.
  int InFlight() const { return in_flight_.load(std::memory_order_relaxed); }

  // Measures every check_every until `stop` (returns at once when backpressure is off);
  // reconnects after database failures.
  void Run(std::stop_token stop);

 private:
  void Grant(std::int64_t admissions, const PipelineBacklog& backlog);

  AdmissionOptions options_;
  std::atomic<std::int64_t> admissions_ = kUnboundedAdmissions;
  std::atomic<int> in_flight_ = 0;
  bool refusing_ = false;  // to log changes only; Run's thread alone
};

}  // namespace kpo::orders
