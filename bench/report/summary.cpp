#include "report/summary.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <limits>

namespace kpo::bench {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string Fmt(double v, const char* unit = "", int digits = 1) {
  if (std::isnan(v)) return "-";
  return fmt::format("{:.{}f}{}", v, digits, unit);
}

// a / b, or NaN when b is not a positive number (a configuration that sustained no rate at all).
double Ratio(double a, double b) { return b > 0 ? a / b : kNaN; }

double PhaseNum(const boost::json::object* phase, std::string_view path) {
  return phase ? Num(*phase, path) : kNaN;
}

// The phase at the common rate: a search step, or the phase of its own a configuration ran when its
// search stopped below that rate.
const boost::json::object* CommonPhase(const boost::json::object& config, double rate) {
  const auto* step = Phase(config, fmt::format("search@{}", std::lround(rate)));
  return step ? step : Phase(config, fmt::format("common@{}", std::lround(rate)));
}

Target Judge(std::string name, double value, double limit, bool at_least, std::string detail) {
  Target t{std::move(name), std::move(detail), std::nullopt};
  if (!std::isnan(value)) t.pass = at_least ? value >= limit : value <= limit;
  return t;
}

}  // namespace

double Num(const boost::json::object& root, std::string_view path) {
  const boost::json::object* node = &root;
  while (true) {
    const auto dot = path.find('.');
    const auto key = path.substr(0, dot);
    const auto it = node->find(key);
    if (it == node->end()) return kNaN;
    if (dot == std::string_view::npos)
      return it->value().is_number() ? it->value().to_number<double>() : kNaN;
    if (!it->value().is_object()) return kNaN;
    node = &it->value().as_object();
    path.remove_prefix(dot + 1);
  }
}

const boost::json::object* Phase(const boost::json::object& config, const std::string& name) {
  const auto it = config.find("phases");
  if (it == config.end() || !it->value().is_array()) return nullptr;
  for (const auto& phase : it->value().as_array()) {
    if (phase.is_object() && phase.as_object().at("name") == name.c_str()) return &phase.as_object();
  }
  return nullptr;
}

const boost::json::object* SustainedPhase(const boost::json::object& config) {
  const double sustained = Num(config, "sustained_rps");
  if (std::isnan(sustained) || sustained <= 0) return nullptr;
  return Phase(config, fmt::format("search@{}", std::lround(sustained)));
}

std::vector<SummaryRow> Summarize(const Inputs& in) {
  const auto* seed_common = CommonPhase(in.seed, in.common_rate);
  const auto* ours_common = CommonPhase(in.ours, in.common_rate);
  const auto* seed_top = SustainedPhase(in.seed);
  const auto* ours_top = SustainedPhase(in.ours);
  const double pg = Num(in.pgbench, "best.orders_per_s");
  const double ours = Num(in.ours, "sustained_rps");
  const double seed = Num(in.seed, "sustained_rps");
  const auto c2t = [](const boost::json::object* p, const char* q) {
    return Fmt(PhaseNum(p, std::string("flow.created_to_terminal.") + q), " ms", 2);
  };
  return {
      {"sustained completed orders/s",
       Fmt(pg, "", 0) + fmt::format(" ({} clients)", Num(in.pgbench, "best.clients")), Fmt(seed, "", 0),
       Fmt(ours, "", 0)},
      {"ours / baseline (sustained)", Fmt(Ratio(ours, pg), "x", 2), Fmt(Ratio(ours, seed), "x", 2), ""},
      {"created->terminal p50 @" + Fmt(in.common_rate, "/s", 0), "", c2t(seed_common, "p50_ms"),
       c2t(ours_common, "p50_ms")},
      {"created->terminal p99 @" + Fmt(in.common_rate, "/s", 0), "", c2t(seed_common, "p99_ms"),
       c2t(ours_common, "p99_ms")},
      {"seed p50 / ours p50 @" + Fmt(in.common_rate, "/s", 0), "", "",
       Fmt(Ratio(PhaseNum(seed_common, "flow.created_to_terminal.p50_ms"),
                 PhaseNum(ours_common, "flow.created_to_terminal.p50_ms")),
           "x", 1)},
      {"CPU ms/order @" + Fmt(in.common_rate, "/s", 0), "",
       Fmt(PhaseNum(seed_common, "cpu_ms_per_order.total"), "", 3),
       Fmt(PhaseNum(ours_common, "cpu_ms_per_order.total"), "", 3)},
      {"CPU ms/order @sustained", "", Fmt(PhaseNum(seed_top, "cpu_ms_per_order.total"), "", 3),
       Fmt(PhaseNum(ours_top, "cpu_ms_per_order.total"), "", 3)},
      {"commits/order @sustained", "3", Fmt(PhaseNum(seed_top, "db.commits_per_order"), "", 2),
       Fmt(PhaseNum(ours_top, "db.commits_per_order"), "", 2)},
      {"WAL syncs/order @sustained", "", Fmt(PhaseNum(seed_top, "db.wal_syncs_per_order"), "", 2),
       Fmt(PhaseNum(ours_top, "db.wal_syncs_per_order"), "", 2)},
      {"overload: offered orders/s", "", "", Fmt(Num(in.ours, "overload.offered_rps"), "", 0)},
      {"overload: min completed/s / sustained", "", "",
       Fmt(Num(in.ours, "overload.min_completed_share") * 100, " %", 0)},
      {"overload: p99 of all answers", "", "", Fmt(Num(in.ours, "overload.answers_p99_ms"), " ms", 1)},
      {"overload: accepted created->terminal p99", "", "",
       Fmt(Num(in.ours, "overload.accepted_c2t_p99_ms"), " ms", 1)},
      {"overload: 503 share", "", "", Fmt(Num(in.ours, "overload.rejected_share") * 100, " %", 1)},
      {"overload: backlog gone after", "", "", Fmt(Num(in.ours, "overload.backlog_gone_s"), " s", 2)},
      {"half rate: created->terminal p50 / p99", "", "",
       c2t(Phase(in.ours, "half"), "p50_ms") + " / " + c2t(Phase(in.ours, "half"), "p99_ms")},
      // The VM's neighbours' share of the judged phases: figures of a run with much of it are not
      // comparable with a quiet one (the same build measured 35 ms and 193 ms p50 at 650/s, 2 % and 32 %).
      {"CPU stolen (sustained / overload / half)", "", "",
       Fmt(PhaseNum(ours_top, "machine.steal_share") * 100, " %", 1) + " / " +
           Fmt(PhaseNum(Phase(in.ours, "overload"), "machine.steal_share") * 100, " %", 1) + " / " +
           Fmt(PhaseNum(Phase(in.ours, "half"), "machine.steal_share") * 100, " %", 1)},
  };
}

std::vector<Target> JudgeTargets(const Inputs& in) {
  const double pg = Num(in.pgbench, "best.orders_per_s");
  const double ours = Num(in.ours, "sustained_rps");
  const double seed = Num(in.seed, "sustained_rps");
  const auto* half = Phase(in.ours, "half");
  const double p50_ratio =
      Ratio(PhaseNum(CommonPhase(in.seed, in.common_rate), "flow.created_to_terminal.p50_ms"),
            PhaseNum(CommonPhase(in.ours, in.common_rate), "flow.created_to_terminal.p50_ms"));
  const double cpu = PhaseNum(SustainedPhase(in.ours), "cpu_ms_per_order.total");
  const double share = Num(in.ours, "overload.min_completed_share");
  // An overload whose backlog never drained (null) fails; no overload at all is "not measured".
  double backlog = Num(in.ours, "overload.backlog_gone_s");
  if (std::isnan(backlog) && in.ours.contains("overload")) backlog = std::numeric_limits<double>::infinity();
  return {
      Judge("sustained >= 1.0x pgbench", Ratio(ours, pg), 1.0, true,
            fmt::format("{} / {} = {}", Fmt(ours, "", 0), Fmt(pg, "", 0), Fmt(Ratio(ours, pg), "x", 2))),
      Judge("overload: completed/s >= 90 % of sustained every second", share, 0.9, true,
            Fmt(share * 100, " %", 0)),
      Judge("overload: every answer <= 100 ms p99", Num(in.ours, "overload.answers_p99_ms"), 100, false,
            Fmt(Num(in.ours, "overload.answers_p99_ms"), " ms", 1)),
      Judge("overload: accepted created->terminal p99 <= 2 s", Num(in.ours, "overload.accepted_c2t_p99_ms"),
            2000, false, Fmt(Num(in.ours, "overload.accepted_c2t_p99_ms"), " ms", 1)),
      Judge("overload: backlog gone <= 5 s", backlog, 5, false,
            std::isinf(backlog) ? "not within the drain timeout" : Fmt(backlog, " s", 2)),
      Judge("half rate: created->terminal p50 <= 5 ms", PhaseNum(half, "flow.created_to_terminal.p50_ms"), 5,
            false, Fmt(PhaseNum(half, "flow.created_to_terminal.p50_ms"), " ms", 2)),
      Judge("half rate: created->terminal p99 <= 25 ms", PhaseNum(half, "flow.created_to_terminal.p99_ms"),
            25, false, Fmt(PhaseNum(half, "flow.created_to_terminal.p99_ms"), " ms", 2)),
      Judge("CPU per order <= 3 ms (at the sustained rate)", cpu, 3, false, Fmt(cpu, " ms", 3)),
      Judge("seed / ours created->terminal p50 >= 100x", p50_ratio, 100, true,
            Fmt(p50_ratio, "x", 1) + " @" + Fmt(in.common_rate, "/s", 0)),
      Judge("ours / seed sustained >= 3x", Ratio(ours, seed), 3, true, Fmt(Ratio(ours, seed), "x", 2)),
  };
}

std::vector<std::string> CheckRun(const Inputs& in) {
  std::vector<std::string> problems;
  if (!(Num(in.pgbench, "best.orders_per_s") > 0)) problems.push_back("pgbench measured nothing");
  for (const auto* config : {&in.seed, &in.ours}) {
    const auto it = config->find("phases");
    const auto name = config->contains("config") ? std::string(config->at("config").as_string()) : "?";
    if (it == config->end() || !it->value().is_array() || it->value().as_array().empty()) {
      problems.push_back(name + ": no phases");
      continue;
    }
    for (const auto& value : it->value().as_array()) {
      const auto& p = value.as_object();
      const auto where = name + " " + std::string(p.at("name").as_string());
      if (Num(p, "flow.pending") != 0) problems.push_back(where + ": accepted orders never completed");
      if (Num(p, "flow.completed") < Num(p, "http.accepted_202"))
        problems.push_back(where + ": fewer completed orders than 202s");
      // 503 is the system's backpressure, an expected answer; a phase with no answer at all is not.
      if (!(Num(p, "http.accepted_202") + Num(p, "http.rejected_503") > 0)) {
        problems.push_back(where + ": no order answered");
      }
      for (const char* bad : {"http.errors", "http.other_status", "http.limited_429"}) {
        if (Num(p, bad) != 0) problems.push_back(where + ": " + Fmt(Num(p, bad), "", 0) + " " + (bad + 5));
      }
    }
  }
  return problems;
}

void PrintSummary(const Inputs& in, const std::vector<SummaryRow>& rows, const std::vector<Target>& targets) {
  std::printf("\n%-44s %16s %12s %12s\n", "summary", "pgbench", "seed", "ours");
  for (const auto& r : rows) {
    std::printf("%-44s %16s %12s %12s\n", r.what.c_str(), r.pgbench.c_str(), r.seed.c_str(), r.ours.c_str());
  }
  std::printf("\ntargets%s\n",
              in.mode == "smoke" ? " (a smoke run: seconds at a low rate, so these mean nothing)" : "");
  for (const auto& t : targets) {
    std::printf("  %-4s  %-52s %s\n", t.pass ? (*t.pass ? "PASS" : "FAIL") : "n/a", t.name.c_str(),
                t.detail.c_str());
  }
}

}  // namespace kpo::bench
