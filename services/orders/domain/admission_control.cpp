#include "orders/domain/admission_control.hpp"

#include <algorithm>

namespace kpo::orders {

std::optional<double> AdmissionControl::Update(const AdmissionSample& sample) {
  const auto& p = policy_;
  if (!limit_) {
    if (sample.lag_ms <= p.target_lag_ms) return limit_;
    // Behind: from now on admit what the pipeline is finishing.
    limit_ = std::max(p.min_rate, sample.completed_per_s);
    calm_updates_ = 0;
    caught_up_updates_ = 0;
    return limit_;
  }
  double limit = *limit_;
  if (sample.lag_ms > p.max_lag_ms) {
    // Far behind: half of what is finishing, nothing at all while nothing finishes (a consumer
    // or the broker is down), so the backlog stays bounded by the lag.
    limit = sample.completed_per_s * 0.5;
  } else {
    if (sample.lag_ms > p.target_lag_ms) {
      limit = std::min(limit, sample.completed_per_s * p.drain_gain);
    } else if (sample.lag_ms <= p.target_lag_ms / 2) {
      // Probing grows from what is finishing, so a limit no one reaches can't inflate; it never
      // lowers the limit (an idle spell completes nothing but says nothing about capacity).
      limit = std::max(limit, std::min(limit * p.probe_gain, sample.completed_per_s * 1.5));
    }
    limit = std::max(limit, p.min_rate);
  }
  // Demand under the limit, backlog small: the limit no longer protects anything. Or no backlog
  // at all for a few updates: whatever made the pipeline fall behind (a burst, a stall of the
  // disk or the broker) is over, and a limit learnt while it lasted would refuse for nothing.
  const bool calm = sample.offered_per_s < limit * 0.8 && sample.lag_ms <= p.target_lag_ms / 2;
  calm_updates_ = calm ? calm_updates_ + 1 : 0;
  caught_up_updates_ = sample.lag_ms <= p.target_lag_ms / 4 ? caught_up_updates_ + 1 : 0;
  if (calm_updates_ >= p.calm_updates_to_open || caught_up_updates_ >= p.caught_up_updates_to_open) {
    caught_up_updates_ = 0;
    limit_.reset();
    return limit_;
  }
  limit_ = limit;
  return limit_;
}

}  // namespace kpo::orders
