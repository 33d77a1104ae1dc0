#pragma once
// How many new orders to admit, from what the pipeline's backlog looks like (app/admission.hpp
// measures it and applies the answer). Pure.
#include <chrono>
#include <cstdint>
#include <limits>

namespace kpo::orders {

struct AdmissionBounds {
  std::chrono::milliseconds max_lag{1000};  // 0 turns backpressure off
  std::int64_t max_pending = 1000;          // 0: no bound on the count
};

// One measurement: orders still waiting for their payment (counted up to max_pending + 1) and
// how long the oldest of them has waited.
struct PipelineBacklog {
  std::int64_t waiting = 0;
  std::int64_t oldest_ms = 0;
};

inline constexpr std::int64_t kUnboundedAdmissions = std::numeric_limits<std::int64_t>::max() / 2;

// New orders to admit until the next measurement (kUnboundedAdmissions: no limit): none while the
// oldest has waited longer than max_lag (the pipeline stalls); else the room left under
// max_pending, scaled down linearly from all of it while the oldest has waited max_lag / 2 to
// none at max_lag. Under overload the room is about what the pipeline finished since the last
// measurement, so admissions follow the rate orders are paid for, and the taper holds the oldest
// wait short of max_lag instead of swinging across it. With max_pending 0 only the max_lag
// cut-off applies.
std::int64_t AdmissionsFor(const AdmissionBounds& bounds, const PipelineBacklog& backlog);

}  // namespace kpo::orders
