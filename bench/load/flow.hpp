#pragma once
// What the orders database says about a phase's orders: created → terminal, completions per second,
// the steady completion rate and when the backlog was gone. Pure arithmetic, unit-tested.
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "load/stats.hpp"

namespace kpo::bench {

struct OrderTimes {
  std::int64_t created_us = 0;              // Unix microseconds, from the order's timeline
  std::optional<std::int64_t> terminal_us;  // nullopt while the order is still Created
  bool cancelled = false;
  // The hops in between, from the same timeline; nullopt until the order got that far.
  std::optional<std::int64_t> published_us;  // the relay handed OrderCreated to the broker
  std::optional<std::int64_t> paid_us;       // payments' result was applied (payment_succeeded/failed)
};

// Where created → terminal went, hop by hop, over the orders that completed: which stage of the
// pipeline a run's latency belongs to (the orders relay; the broker and payments; payments' relay,
// the broker and the orders consumer).
struct HopFigures {
  Distribution created_to_published;
  Distribution published_to_paid;
  Distribution paid_to_terminal;
};

struct FlowFigures {
  std::int64_t completed = 0;
  std::int64_t cancelled = 0;
  std::int64_t pending = 0;
  // Completions per second from the end of the warm-up to the end of sending.
  double completed_rps = 0;
  // The slowest whole second of completions while sending, leaving out the first second; 0 when the
  // phase is shorter than two seconds.
  double min_bucket_rps = 0;
  // Last completion - end of sending (never negative); nullopt while orders are pending.
  std::optional<double> backlog_gone_s;
  Distribution created_to_terminal;
  HopFigures hops;
  std::vector<std::int64_t> per_second;  // completions by second of terminal time since the phase began
};

// `from_ms`: when the phase began sending (Unix ms); sending lasted `duration`. The warm-up is capped
// at a quarter of the phase.
FlowFigures AnalyzeFlow(const std::vector<OrderTimes>& orders, std::int64_t from_ms,
                        std::chrono::milliseconds duration, std::chrono::milliseconds warmup);

boost::json::object ToJson(const FlowFigures& flow, std::size_t accepted_in_db);

}  // namespace kpo::bench
