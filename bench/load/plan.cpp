#include "load/plan.hpp"

#include <boost/json/array.hpp>
#include <cmath>
#include <cstdio>
#include <thread>

namespace kpo::bench {
namespace {

std::chrono::milliseconds Seconds(double s) { return std::chrono::milliseconds(std::llround(s * 1000)); }

double Get(const boost::json::object& o, std::initializer_list<const char*> path) {
  const boost::json::value* v = &o.at(*path.begin());
  for (auto it = path.begin() + 1; it != path.end(); ++it) v = &v->as_object().at(*it);
  return v->is_null() ? -1 : v->to_number<double>();
}

void PrintHeader() {
  std::printf("%-16s %7s %7s %7s %6s %5s %5s %9s %9s %9s %9s %8s %8s %7s  %s\n", "phase", "offered", "sent",
              "202", "503", "429", "err", "http p50", "http p99", "c2t p50", "c2t p99", "done/s", "cpu/ord",
              "com/ord", "verdict");
}

void PrintRow(const PhaseResult& r, const std::string& verdict) {
  const auto& j = r.json;
  std::printf("%-16s %7.0f %7.0f %7.0f %6.0f %5.0f %5.0f %9.2f %9.2f %9.2f %9.2f %8.1f %8.3f %7.2f  %s\n",
              j.at("name").as_string().c_str(), Get(j, {"http", "offered"}), Get(j, {"http", "sent"}),
              Get(j, {"http", "accepted_202"}), Get(j, {"http", "rejected_503"}),
              Get(j, {"http", "limited_429"}), Get(j, {"http", "errors"}) + Get(j, {"http", "other_status"}),
              Get(j, {"http", "latency_202", "p50_ms"}), Get(j, {"http", "latency_202", "p99_ms"}),
              Get(j, {"flow", "created_to_terminal", "p50_ms"}),
              Get(j, {"flow", "created_to_terminal", "p99_ms"}), r.completed_rps,
              Get(j, {"cpu_ms_per_order", "total"}), Get(j, {"db", "commits_per_order"}), verdict.c_str());
  std::fflush(stdout);
  // Which stage of the pipeline the latency belongs to.
  if (Get(j, {"flow", "hops", "created_to_published", "count"}) > 0) {
    const auto hop = [&](const char* name) {
      return std::pair{Get(j, {"flow", "hops", name, "p50_ms"}), Get(j, {"flow", "hops", name, "p99_ms"})};
    };
    const auto [published_p50, published_p99] = hop("created_to_published");
    const auto [paid_p50, paid_p99] = hop("published_to_paid");
    const auto [terminal_p50, terminal_p99] = hop("paid_to_terminal");
    std::fprintf(stderr,
                 "    hops p50/p99 ms: created->published %.2f/%.2f, published->paid %.2f/%.2f, "
                 "paid->terminal %.2f/%.2f\n",
                 published_p50, published_p99, paid_p50, paid_p99, terminal_p50, terminal_p99);
  }
  // The generator shares the machine with the system: say so when it could not send on time.
  const double cap_waits = Get(j, {"http", "client_cap_waits"});
  const double lag = Get(j, {"http", "send_lag", "p99_ms"});
  if (cap_waits > 0 || lag > 5) {
    std::fprintf(stderr,
                 "    note: the load generator could not keep up (%.0f requests waited for a connection, "
                 "send lag p99 %.1f ms); latencies include it\n",
                 cap_waits, lag);
  }
  // A VM's neighbours can take a share of its cores: the phase then measured a smaller machine.
  const double steal = Get(j, {"machine", "steal_share"});
  if (steal >= 0.05) {
    std::fprintf(stderr,
                 "    note: the hypervisor gave %.0f %% of this machine's CPU time to other guests (steal); "
                 "latency and CPU per order are not comparable with a quiet run\n",
                 steal * 100);
  }
  if (j.at("db").as_object().at("counters_reset").as_bool()) {
    std::fprintf(
        stderr,
        "    note: PostgreSQL's statistics restarted from zero during this phase (a crash recovery); "
        "its commits per order are not known (-1)\n");
  }
  // Every commit and confirm waits for an fsync: a disk that stops answering stops everything.
  const double stalled = Get(j, {"disk", "stalled_s"});
  if (stalled > 0) {
    std::fprintf(stderr,
                 "    note: the disk completed no I/O for %.1f s with I/O in flight (longest %.1f s); "
                 "every commit and confirm waited for it\n",
                 stalled, Get(j, {"disk", "longest_stall_s"}));
  }
}

void Announce(const PhaseSpec& spec) {
  std::fprintf(stderr, "--> %s: %s for %.0f s\n", spec.name.c_str(),
               spec.connections > 0 ? (std::to_string(spec.connections) + " connections, closed loop").c_str()
                                    : (std::to_string(std::lround(spec.rate)) + " orders/s").c_str(),
               static_cast<double>(spec.duration.count()) / 1000.0);
}

PhaseResult RunAndPrint(PhaseRunner& runner, const PhaseSpec& spec, const std::string& verdict = "") {
  Announce(spec);
  auto result = runner.Run(spec);
  PrintRow(result, verdict);
  return result;
}

// Why a search step fails, or empty when it passes.
std::string SearchVerdict(const PhaseResult& r, double rate, const PlanOptions& plan) {
  if (r.completed_rps < plan.min_completed_share * rate) return "FAIL completed/s";
  if (r.c2t_p99_ms > plan.max_p99_ms) return "FAIL c2t p99";
  if (r.rejected_share > plan.max_rejected_share) return "FAIL 503 share";
  if (r.pending > 0) return "FAIL not drained";
  return "";
}

boost::json::object OverloadSummary(const PhaseResult& r, double sustained) {
  const auto& j = r.json;
  boost::json::object summary{{"phase", j.at("name")},
                              {"offered_rps", j.at("offered_rps")},
                              {"sustained_rps", sustained},
                              {"min_completed_rps_1s", r.min_bucket_rps},
                              {"min_completed_share", sustained > 0 ? r.min_bucket_rps / sustained : 0.0},
                              {"answers_p99_ms", Get(j, {"http", "latency_all", "p99_ms"})},
                              {"accepted_c2t_p99_ms", r.c2t_p99_ms},
                              {"rejected_share", r.rejected_share}};
  summary["backlog_gone_s"] =
      r.backlog_gone_s ? boost::json::value(*r.backlog_gone_s) : boost::json::value(nullptr);
  return summary;
}

// One search step: passed or not. A failed step runs once more before the search stops, so one
// hiccup of a shared machine does not end it; the failed attempt is kept as "retried@<rate>".
bool SearchStep(PhaseRunner& runner, const PlanOptions& plan, double rate, boost::json::array& phases) {
  const auto label = std::to_string(std::lround(rate));
  for (int attempt = 1; attempt <= 2; ++attempt) {
    const PhaseSpec spec{"search@" + label, rate, 0, Seconds(plan.step_s)};
    Announce(spec);
    auto result = runner.Run(spec);
    const auto verdict = SearchVerdict(result, rate, plan);
    const bool last = verdict.empty() || attempt == 2 || verdict == "FAIL not drained";
    PrintRow(result, verdict.empty() ? "pass" : verdict + (last ? "" : ", once more"));
    result.json["search_verdict"] = verdict.empty() ? "pass" : verdict;
    if (!last) result.json["name"] = "retried@" + label;
    phases.push_back(std::move(result.json));
    if (last) return verdict.empty();
  }
  return false;
}

}  // namespace

boost::json::object RunPlan(PhaseRunner& runner, const PlanOptions& plan) {
  boost::json::array phases;
  boost::json::object out;
  double sustained = 0;
  bool ran_common = false;
  PrintHeader();
  for (const double rate : plan.search) {
    ran_common = ran_common || rate == plan.common_rate;
    if (!SearchStep(runner, plan, rate, phases)) break;
    sustained = rate;
  }
  out["sustained_rps"] = sustained;
  if (plan.common_rate > 0 && !ran_common) {
    auto result = RunAndPrint(runner, {"common@" + std::to_string(std::lround(plan.common_rate)),
                                       plan.common_rate, 0, Seconds(plan.step_s)});
    phases.push_back(std::move(result.json));
  }
  if (sustained > 0 && plan.overload_s > 0) {
    const auto rate = sustained * plan.overload_factor;
    auto result = RunAndPrint(runner, {"overload", rate, 0, Seconds(plan.overload_s)});
    out["overload"] = OverloadSummary(result, sustained);
    phases.push_back(std::move(result.json));
    std::fprintf(stderr, "--> recovery: %.0f s without load\n", plan.recovery_s);
    std::this_thread::sleep_for(Seconds(plan.recovery_s));
  }
  if (sustained > 0 && plan.half_s > 0) {
    auto result = RunAndPrint(runner, {"half", sustained / 2, 0, Seconds(plan.half_s)});
    phases.push_back(std::move(result.json));
  }
  if (plan.closed_s > 0 && plan.closed_connections > 0) {
    auto result = RunAndPrint(runner, {"closed@" + std::to_string(plan.closed_connections), 0,
                                       plan.closed_connections, Seconds(plan.closed_s)});
    phases.push_back(std::move(result.json));
  }
  out["phases"] = std::move(phases);
  return out;
}

}  // namespace kpo::bench
