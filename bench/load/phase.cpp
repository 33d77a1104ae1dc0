#include "load/phase.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <cmath>
#include <thread>

#include "load/stats.hpp"

namespace kpo::bench {
namespace {

constexpr std::size_t kMaxBuckets = 600;  // ten minutes of 1 s buckets

struct Flow {
  PhaseResult result;
  boost::json::object json;
};

// Completions per second of terminal time, the steady rate and the slowest whole second while sending.
Flow AnalyzeFlow(const std::vector<OrderTimes>& orders, std::int64_t from_ms,
                 std::chrono::milliseconds duration, std::chrono::milliseconds warmup) {
  Flow flow;
  std::vector<double> c2t;
  std::vector<std::int64_t> buckets;
  std::int64_t cancelled = 0;
  std::int64_t last_terminal_ms = from_ms;
  const auto send_ms = duration.count();
  const auto steady_from = std::min(warmup.count(), send_ms / 4);
  std::int64_t steady = 0;
  for (const auto& order : orders) {
    if (!order.terminal_us) continue;
    const auto at_ms = *order.terminal_us / 1000 - from_ms;  // relative to the phase's start
    c2t.push_back(static_cast<double>(*order.terminal_us - order.created_us) / 1000.0);
    cancelled += order.cancelled ? 1 : 0;
    last_terminal_ms = std::max(last_terminal_ms, from_ms + at_ms);
    if (at_ms >= steady_from && at_ms < send_ms) ++steady;
    const auto bucket = static_cast<std::size_t>(std::max<std::int64_t>(0, at_ms / 1000));
    if (bucket >= kMaxBuckets) continue;
    if (buckets.size() <= bucket) buckets.resize(bucket + 1, 0);
    ++buckets[bucket];
  }
  const auto completed = static_cast<std::int64_t>(c2t.size());
  const auto pending = static_cast<std::int64_t>(orders.size()) - completed;
  auto& r = flow.result;
  r.pending = pending;
  r.completed_rps = static_cast<double>(steady) * 1000.0 /
                    static_cast<double>(std::max<std::int64_t>(1, send_ms - steady_from));
  // Whole seconds of sending after the first (which includes the start-up of the pipeline).
  const auto whole = static_cast<std::size_t>(send_ms / 1000);
  r.min_bucket_rps = whole >= 2 ? 1e18 : 0;
  for (std::size_t i = 1; i < whole; ++i)
    r.min_bucket_rps = std::min(r.min_bucket_rps, static_cast<double>(i < buckets.size() ? buckets[i] : 0));
  if (pending == 0)
    r.backlog_gone_s = std::max(0.0, static_cast<double>(last_terminal_ms - from_ms - send_ms) / 1000.0);
  const auto distribution = Summarize(c2t);
  r.c2t_p99_ms = distribution.p99;
  flow.json = {{"accepted_in_db", orders.size()},
               {"completed", completed},
               {"cancelled", cancelled},
               {"pending", pending},
               {"completed_rps", std::round(r.completed_rps * 10) / 10},
               {"min_completed_rps_1s", r.min_bucket_rps},
               {"created_to_terminal", ToJson(distribution)},
               {"completed_per_s", boost::json::array(buckets.begin(), buckets.end())}};
  flow.json["backlog_gone_s"] =
      r.backlog_gone_s ? boost::json::value(*r.backlog_gone_s) : boost::json::value(nullptr);
  return flow;
}

boost::json::object HttpJson(HttpTotals& http) {
  boost::json::array samples;
  for (const auto& s : http.samples) samples.emplace_back(s);
  return {{"offered", http.offered},
          {"sent", http.sent},
          {"accepted_202", http.accepted},
          {"rejected_503", http.rejected},
          {"limited_429", http.limited},
          {"other_status", http.other},
          {"errors", http.errors},
          {"client_cap_waits", http.cap_waits},
          {"peak_connections", http.peak_connections},
          {"latency_202", ToJson(Summarize(http.latency_202))},
          {"latency_503", ToJson(Summarize(http.latency_503))},
          {"latency_all", ToJson(Summarize(http.latency_all))},
          {"send_lag", ToJson(Summarize(http.send_lag))},
          {"samples", std::move(samples)}};
}

double PerOrder(double value, std::int64_t completed) {
  return completed > 0 ? std::round(value / static_cast<double>(completed) * 1000.0) / 1000.0 : 0.0;
}

// CPU milliseconds and database work per completed order.
void AddCosts(boost::json::object& json, const CpuSample& cpu, const PgCounters& before,
              const PgCounters& after, std::int64_t completed) {
  boost::json::object cpu_raw;
  boost::json::object cpu_per_order;
  double total = 0;
  for (const auto& [name, ms] : cpu) {
    cpu_raw[name] = std::round(ms);
    cpu_per_order[name] = PerOrder(ms, completed);
    if (name != "loadgen") total += ms;
  }
  cpu_per_order["total"] = PerOrder(total, completed);
  boost::json::object commits;
  std::int64_t all_commits = 0;
  for (const auto& [name, count] : after.commits) {
    const auto it = before.commits.find(name);
    const auto delta = count - (it == before.commits.end() ? count : it->second);
    commits[name] = delta;
    all_commits += delta;
  }
  const auto syncs = after.wal_syncs - before.wal_syncs;
  json["cpu_ms"] = std::move(cpu_raw);
  json["cpu_ms_per_order"] = std::move(cpu_per_order);
  json["db"] = {{"commits", std::move(commits)},
                {"commits_per_order", PerOrder(static_cast<double>(all_commits), completed)},
                {"wal_syncs", syncs},
                {"wal_syncs_per_order", PerOrder(static_cast<double>(syncs), completed)}};
}

}  // namespace

std::int64_t PhaseRunner::WaitForDrain(const PhaseWindow& window) {
  const auto deadline = std::chrono::steady_clock::now() + settings_.drain_timeout;
  for (;;) {
    const auto pending = db_.Pending(window);
    if (pending == 0 || std::chrono::steady_clock::now() >= deadline) return pending;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

PhaseResult PhaseRunner::Run(const PhaseSpec& spec) {
  const bool closed = spec.connections > 0;
  const auto per_user = std::ceil(spec.rate / settings_.orders_per_user_s);
  // A closed loop's rate is not known in advance: four users per connection stay under the per-user
  // limit up to 400 orders/s per connection.
  const auto user_count = closed ? std::max(users_.Size(), 4 * static_cast<std::size_t>(spec.connections))
                                 : static_cast<std::size_t>(std::max(1.0, per_user));
  users_.Ensure(user_count);
  const auto tokens = users_.Tokens(user_count);
  const auto counters_before = db_.Counters();
  const auto cpu_before = cpu_.Take();
  PhaseWindow window{users_.IdArray(user_count), UnixMillis(), 0};
  auto http = closed ? client_.RunClosed(spec.connections, spec.duration, tokens)
                     : client_.RunOpen(spec.rate, spec.duration, tokens);
  window.to_ms = UnixMillis() + 1;
  const auto drain_started = std::chrono::steady_clock::now();
  WaitForDrain(window);
  const auto drain_wait =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - drain_started).count();
  std::this_thread::sleep_for(settings_.settle);
  const auto cpu = Delta(cpu_before, cpu_.Take());
  const auto counters_after = db_.Counters();
  auto flow = AnalyzeFlow(db_.Orders(window), window.from_ms, spec.duration, settings_.warmup);
  flow.json["drain_wait_s"] = std::round(drain_wait * 100) / 100;
  auto& result = flow.result;
  const auto answered = http.accepted + http.rejected + http.limited + http.other + http.errors;
  result.rejected_share = answered ? static_cast<double>(http.rejected) / static_cast<double>(answered) : 0.0;
  auto& json = result.json;
  json = {{"name", spec.name},
          {"kind", closed ? "closed" : "open"},
          {"offered_rps", spec.rate},
          {"connections", spec.connections},
          {"duration_s", static_cast<double>(spec.duration.count()) / 1000.0},
          {"users", user_count},
          {"start_unix_ms", window.from_ms},
          {"end_unix_ms", window.to_ms},
          {"http", HttpJson(http)}};
  const auto completed = flow.json.at("completed").as_int64();
  json["flow"] = std::move(flow.json);
  AddCosts(json, cpu, counters_before, counters_after, completed);
  return std::move(result);
}

}  // namespace kpo::bench
