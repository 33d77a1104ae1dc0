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

// One measurement: orders of the recent window still waiting for their payment (counted up to
// max_pending + 1), how long the oldest of them has waited, and the pipeline's lag: how long they
// have waited with the longest-waiting tenth set aside (with fewer than ten waiting, the oldest's
// wait). Under overload the oldest is the tail of a spread (one late batch of ~100 orders while the
// rest move), and keying on it held admissions down and once let the pipeline run dry; a stopped
// pipeline ages every waiting order, so the lag crosses the bound too. And whether it is stalled:
// an order that has left the window still waits, and no order placed after it has been paid for.
// (An order left behind while later ones are paid for, e.g. one whose event was dead-lettered,
// says nothing about the pipeline's speed now; with none paid for after it, the pipeline stopped.)
// And how many orders replicas measure the same pipeline, this one included.
struct PipelineBacklog {
  std::int64_t waiting = 0;
  std::int64_t oldest_ms = 0;
  std::int64_t lag_ms = 0;
  bool stalled = false;
  std::int64_t replicas = 1;
};

inline constexpr std::int64_t kUnboundedAdmissions = std::numeric_limits<std::int64_t>::max() / 2;

// New orders to admit until the next measurement (kUnboundedAdmissions: no limit): none while the
// lag is over max_lag (the pipeline stalls); else the room left under max_pending, scaled down
// linearly from all of it at a lag of max_lag / 2 to none at max_lag. Under overload the room is
// about what the pipeline finished since the last measurement, so admissions follow the rate orders
// are paid for, and the taper holds the lag short of max_lag instead of swinging across it. With
// max_pending 0 only the max_lag cut-off applies. A stalled pipeline gets one order, a probe, when
// none of the window waits (once a window while the stall lasts): the window's orders have left it
// unpaid and nothing else would show whether the pipeline moves again; paid for, the probe ends the
// stall. Every replica reads the same backlog, so each gets its share of the grant (rounded up, so
// that a grant of one, the probe, is one for each): together they admit about what one replica
// would.
std::int64_t AdmissionsFor(const AdmissionBounds& bounds, const PipelineBacklog& backlog);

}  // namespace kpo::orders
