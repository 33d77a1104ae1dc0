#pragma once
// The decision behind backpressure, kept pure so it can be tested without a clock or a database.
//
// Refusing everything once the pipeline is behind and admitting everything once it has caught up
// makes the system swing: while it admits, the HTTP side takes the cores from the consumers and
// completions drop; while it refuses, they recover and the backlog drains; then it admits again.
// Instead, once the pipeline is behind, new orders are admitted at the rate orders are completing
// (what the pipeline can finish with the HTTP load it has now), a little below it while the
// backlog is above the target, a little above it while the backlog is small (probing for
// capacity), and without a limit again once the offered load stays below the limit or the backlog
// is gone.
#include <optional>

namespace kpo::orders {

struct AdmissionPolicy {
  double target_lag_ms = 1000;         // the backlog (age of the oldest unpaid order) the limit steers to
  double max_lag_ms = 2000;           // above this the limit drops to half the completion rate
  double min_rate = 20;               // orders/s always admitted, so the completion rate can be measured
  double probe_gain = 1.05;           // growth per update while the backlog is small
  double drain_gain = 0.9;            // the limit below the completion rate while above the target
  int calm_updates_to_open = 20;      // updates with offered load below the limit before it is lifted
  int caught_up_updates_to_open = 3;  // updates with the lag under a quarter of the target, likewise
};

struct AdmissionSample {
  double lag_ms = 0;           // age of the oldest order waiting for its payment
  double completed_per_s = 0;  // orders that reached a final state, over the last second
  double offered_per_s = 0;    // orders asked for (admitted or not), over the last second
};

class AdmissionControl {
 public:
  explicit AdmissionControl(AdmissionPolicy policy = {}) : policy_(policy) {}

  // Takes one measurement; returns the orders/s to admit from now on, or nullopt for no limit.
  std::optional<double> Update(const AdmissionSample& sample);

  std::optional<double> Limit() const { return limit_; }

 private:
  AdmissionPolicy policy_;
  std::optional<double> limit_;
  int calm_updates_ = 0;
  int caught_up_updates_ = 0;
};

}  // namespace kpo::orders
