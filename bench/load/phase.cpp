#include "load/phase.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <cmath>
#include <thread>

#include "load/flow.hpp"
#include "load/stats.hpp"

namespace kpo::bench {
namespace {

constexpr std::size_t kClosedUsersPerConnection = 50;

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
  json["cpu_ms"] = std::move(cpu_raw);
  json["cpu_ms_per_order"] = std::move(cpu_per_order);
  if (after.stats_reset != before.stats_reset) {
    // The counters restarted from zero inside the phase: a difference would be a wrong (often negative)
    // count, so the phase has none.
    json["db"] = {{"counters_reset", true}, {"commits", nullptr},   {"commits_per_order", nullptr},
                  {"deadlocks", nullptr},   {"wal_syncs", nullptr}, {"wal_syncs_per_order", nullptr}};
    return;
  }
  boost::json::object commits;
  std::int64_t all_commits = 0;
  for (const auto& [name, count] : after.commits) {
    const auto it = before.commits.find(name);
    auto delta = count - (it == before.commits.end() ? count : it->second);
    if (name == after.probe_database) delta -= after.probe_transactions - before.probe_transactions;
    commits[name] = delta;
    all_commits += delta;
  }
  const auto syncs = after.wal_syncs - before.wal_syncs;
  json["db"] = {{"counters_reset", false},
                {"commits", std::move(commits)},
                {"commits_per_order", PerOrder(static_cast<double>(all_commits), completed)},
                {"deadlocks", after.deadlocks - before.deadlocks},
                {"wal_syncs", syncs},
                {"wal_syncs_per_order", PerOrder(static_cast<double>(syncs), completed)}};
}

boost::json::object DiskJson(const DiskStalls& disk) {
  return {{"stalled_s", std::round(disk.stalled_s * 10) / 10},
          {"longest_stall_s", std::round(disk.longest_s * 10) / 10}};
}

boost::json::object MachineJson(const MachineShares& machine) {
  return {{"busy_share", std::round(machine.busy * 1000) / 1000},
          {"idle_share", std::round(machine.idle * 1000) / 1000},
          {"steal_share", std::round(machine.steal * 1000) / 1000}};
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
  // A closed loop's rate is not known in advance, and a connection whose answers are quick 503s sends
  // thousands of requests a second (seen on a slow CI machine: 2 connections, 4,400/s). 50 users per
  // connection stay under the gateway's per-user limit (100/s each) up to 5,000 requests/s per
  // connection; fewer users once made a 429 spiral, each 429 coming back instantly.
  const auto user_count =
      closed ? std::max(users_.Size(), kClosedUsersPerConnection * static_cast<std::size_t>(spec.connections))
             : static_cast<std::size_t>(std::max(1.0, per_user));
  const auto users_before = users_.Size();
  users_.Ensure(user_count);
  // New users' commits reach the statistics up to a second later: not this phase's work.
  if (users_.Size() > users_before) std::this_thread::sleep_for(settings_.settle);
  const auto tokens = users_.Tokens(user_count);
  const auto counters_before = db_.Counters();
  const auto cpu_before = cpu_.Take();
  const auto machine_before = ReadMachineTicks();
  PhaseWindow window{users_.IdArray(user_count), UnixMillis(), 0};
  auto http = closed ? client_.RunClosed(spec.connections, spec.duration, tokens)
                     : client_.RunOpen(spec.rate, spec.duration, tokens);
  window.to_ms = UnixMillis() + 1;
  const auto drain_started = std::chrono::steady_clock::now();
  WaitForDrain(window);
  const auto drain_wait =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - drain_started).count();
  const auto cpu = Delta(cpu_before, cpu_.Take());
  const auto machine = Shares(machine_before, ReadMachineTicks());
  const auto disk = disk_.Between(window.from_ms, UnixMillis());
  std::this_thread::sleep_for(settings_.settle);
  const auto counters_after = db_.Counters();
  const auto orders = db_.Orders(window);
  const auto flow = AnalyzeFlow(orders, window.from_ms, spec.duration, settings_.warmup);
  PhaseResult result;
  result.completed_rps = flow.completed_rps;
  result.c2t_p99_ms = flow.created_to_terminal.p99;
  result.min_bucket_rps = flow.min_bucket_rps;
  result.backlog_gone_s = flow.backlog_gone_s;
  result.pending = flow.pending;
  const auto answered = http.accepted + http.rejected + http.limited + http.other + http.errors;
  result.rejected_share = answered ? static_cast<double>(http.rejected) / static_cast<double>(answered) : 0.0;
  auto flow_json = ToJson(flow, orders.size());
  flow_json["drain_wait_s"] = std::round(drain_wait * 100) / 100;
  auto& json = result.json;
  json = {{"name", spec.name},
          {"kind", closed ? "closed" : "open"},
          {"offered_rps", spec.rate},
          {"connections", spec.connections},
          {"duration_s", static_cast<double>(spec.duration.count()) / 1000.0},
          {"users", user_count},
          {"start_unix_ms", window.from_ms},
          {"end_unix_ms", window.to_ms},
          {"http", HttpJson(http)},
          {"flow", std::move(flow_json)},
          {"disk", DiskJson(disk)},
          {"machine", MachineJson(machine)}};
  AddCosts(json, cpu, counters_before, counters_after, flow.completed);
  return result;
}

}  // namespace kpo::bench
