#include "load/flow.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <cmath>

namespace kpo::bench {
namespace {

constexpr std::size_t kMaxBuckets = 600;  // ten minutes of 1 s buckets

}  // namespace

FlowFigures AnalyzeFlow(const std::vector<OrderTimes>& orders, std::int64_t from_ms,
                        std::chrono::milliseconds duration, std::chrono::milliseconds warmup) {
  FlowFigures flow;
  std::vector<double> c2t;
  std::vector<double> to_published;
  std::vector<double> to_paid;
  std::vector<double> to_terminal;
  std::int64_t last_terminal_ms = 0;  // relative to the phase's start
  const auto send_ms = duration.count();
  const auto steady_from = std::min(warmup.count(), send_ms / 4);
  std::int64_t steady = 0;
  for (const auto& order : orders) {
    if (!order.terminal_us) continue;
    const auto at_ms = *order.terminal_us / 1000 - from_ms;
    c2t.push_back(static_cast<double>(*order.terminal_us - order.created_us) / 1000.0);
    flow.cancelled += order.cancelled ? 1 : 0;
    if (order.published_us && order.paid_us) {
      to_published.push_back(static_cast<double>(*order.published_us - order.created_us) / 1000.0);
      to_paid.push_back(static_cast<double>(*order.paid_us - *order.published_us) / 1000.0);
      to_terminal.push_back(static_cast<double>(*order.terminal_us - *order.paid_us) / 1000.0);
    }
    last_terminal_ms = std::max(last_terminal_ms, at_ms);
    if (at_ms >= steady_from && at_ms < send_ms) ++steady;
    const auto bucket = static_cast<std::size_t>(std::max<std::int64_t>(0, at_ms / 1000));
    if (bucket >= kMaxBuckets) continue;
    if (flow.per_second.size() <= bucket) flow.per_second.resize(bucket + 1, 0);
    ++flow.per_second[bucket];
  }
  flow.completed = static_cast<std::int64_t>(c2t.size());
  flow.pending = static_cast<std::int64_t>(orders.size()) - flow.completed;
  flow.completed_rps = static_cast<double>(steady) * 1000.0 /
                       static_cast<double>(std::max<std::int64_t>(1, send_ms - steady_from));
  // Whole seconds of sending after the first (which includes the pipeline filling up).
  const auto whole = static_cast<std::size_t>(send_ms / 1000);
  if (whole >= 2) {
    flow.min_bucket_rps = 1e18;
    for (std::size_t i = 1; i < whole; ++i) {
      const auto done = i < flow.per_second.size() ? flow.per_second[i] : 0;
      flow.min_bucket_rps = std::min(flow.min_bucket_rps, static_cast<double>(done));
    }
  }
  if (flow.pending == 0) {
    flow.backlog_gone_s = std::max(0.0, static_cast<double>(last_terminal_ms - send_ms) / 1000.0);
  }
  flow.created_to_terminal = Summarize(c2t);
  flow.hops = {Summarize(to_published), Summarize(to_paid), Summarize(to_terminal)};
  return flow;
}

boost::json::object ToJson(const FlowFigures& flow, std::size_t accepted_in_db) {
  boost::json::object json{
      {"accepted_in_db", accepted_in_db},
      {"completed", flow.completed},
      {"cancelled", flow.cancelled},
      {"pending", flow.pending},
      {"completed_rps", std::round(flow.completed_rps * 10) / 10},
      {"min_completed_rps_1s", flow.min_bucket_rps},
      {"created_to_terminal", ToJson(flow.created_to_terminal)},
      {"hops",
       {{"created_to_published", ToJson(flow.hops.created_to_published)},
        {"published_to_paid", ToJson(flow.hops.published_to_paid)},
        {"paid_to_terminal", ToJson(flow.hops.paid_to_terminal)}}},
      {"completed_per_s", boost::json::array(flow.per_second.begin(), flow.per_second.end())}};
  json["backlog_gone_s"] =
      flow.backlog_gone_s ? boost::json::value(*flow.backlog_gone_s) : boost::json::value(nullptr);
  return json;
}

}  // namespace kpo::bench
