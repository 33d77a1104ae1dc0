#include "orders/domain/admission_policy.hpp"

#include <algorithm>

namespace kpo::orders {

namespace {

// This replica's share of a grant the replicas measuring the same backlog all read.
std::int64_t ShareOf(std::int64_t grant, std::int64_t replicas) {
  if (grant == kUnboundedAdmissions || replicas <= 1) return grant;
  return (grant + replicas - 1) / replicas;
}

std::int64_t WholeGrant(const AdmissionBounds& bounds, const PipelineBacklog& backlog) {
  const std::int64_t max_lag = bounds.max_lag.count();
  if (max_lag == 0) return kUnboundedAdmissions;
  if (backlog.stalled) return backlog.waiting == 0 ? 1 : 0;
  if (backlog.lag_ms > max_lag) return 0;
  if (bounds.max_pending == 0) return kUnboundedAdmissions;
  const std::int64_t room = std::max<std::int64_t>(0, bounds.max_pending - backlog.waiting);
  // Granting all the room until the lag crosses max_lag and then nothing made acceptance swing
  // between everything and nothing (the completed orders per second followed a second later).
  // Tapering the grant from half the bound down settles where the grant matches what the
  // pipeline finishes, short of the bound.
  const std::int64_t taper_from = max_lag / 2;
  if (backlog.lag_ms <= taper_from) return room;
  return room * (max_lag - backlog.lag_ms) / (max_lag - taper_from);
}

}  // namespace

std::int64_t AdmissionsFor(const AdmissionBounds& bounds, const PipelineBacklog& backlog) {
  return ShareOf(WholeGrant(bounds, backlog), backlog.replicas);
}

}  // namespace kpo::orders
