#include "orders/domain/admission_policy.hpp"

#include <algorithm>

namespace kpo::orders {

std::int64_t AdmissionsFor(const AdmissionBounds& bounds, const PipelineBacklog& backlog) {
  if (bounds.max_lag.count() == 0) return kUnboundedAdmissions;
  if (backlog.oldest_ms > bounds.max_lag.count()) return 0;
  if (bounds.max_pending == 0) return kUnboundedAdmissions;
  return std::max<std::int64_t>(0, bounds.max_pending - backlog.waiting);
}

}  // namespace kpo::orders
