#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/report.hpp"
#include "report/svg_chart.hpp"

namespace kpo::bench {
namespace {

constexpr const char* kSeedColor = "#d62728";
constexpr const char* kOursColor = "#1f77b4";
constexpr const char* kGrey = "#888888";

constexpr const char* kStyle = R"(<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin: 8px 0 20px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.pass { color: #137333; font-weight: bold; } .fail { color: #c5221f; font-weight: bold; }
svg { border: 1px solid #ddd; margin: 6px; background: #fff; }
svg text { font: 11px sans-serif; fill: #333; } svg .title { font: bold 13px sans-serif; }
svg .grid { stroke: #e5e5e5; }
.charts { display: flex; flex-wrap: wrap; }
.small { font-size: 12px; }
</style>)";

const boost::json::array& Phases(const boost::json::object& config) {
  static const boost::json::array kNone;
  const auto it = config.find("phases");
  return it != config.end() && it->value().is_array() ? it->value().as_array() : kNone;
}

// (offered rate, value) of a configuration's search steps by rate, or of the one phase called `only`.
std::vector<std::pair<double, double>> ByRate(const boost::json::object& config, const char* path,
                                              std::string_view only = {}) {
  std::vector<std::pair<double, double>> points;
  for (const auto& p : Phases(config)) {
    const auto& phase = p.as_object();
    const std::string_view name = phase.at("name").as_string();
    if (only.empty() ? !name.starts_with("search@") : name != only) continue;
    const double v = Num(phase, path);
    if (!std::isnan(v)) points.emplace_back(Num(phase, "offered_rps"), v);
  }
  std::sort(points.begin(), points.end());
  return points;
}

// One phase that repeats a rate of the search (half, overload): a p50-p99 bar of its own, not a kink
// in the search's line.
Series Bar(const boost::json::object& config, const std::string& phase, const std::string& label,
           const std::string& p50, const std::string& p99, const char* color) {
  auto points = ByRate(config, p50.c_str(), phase);
  for (const auto& point : ByRate(config, p99.c_str(), phase)) points.push_back(point);
  return {label, color, std::move(points)};
}

std::string LatencyCharts(const Inputs& in) {
  Chart c2t{
      "created -> terminal (orders DB timeline) vs offered rate", "offered orders/s", "ms (log)", true, {}};
  Chart http{"HTTP answer latency (from the scheduled send) vs offered rate",
             "offered orders/s",
             "ms (log)",
             true,
             {}};
  for (const auto& [name, config, color] :
       {std::tuple{"seed", &in.seed, kSeedColor}, std::tuple{"ours", &in.ours, kOursColor}}) {
    c2t.series.push_back(
        {std::string(name) + " p50", color, ByRate(*config, "flow.created_to_terminal.p50_ms")});
    c2t.series.push_back(
        {std::string(name) + " p99", color, ByRate(*config, "flow.created_to_terminal.p99_ms"), true});
    http.series.push_back(
        {std::string(name) + " 202 p50", color, ByRate(*config, "http.latency_202.p50_ms")});
    http.series.push_back(
        {std::string(name) + " all p99", color, ByRate(*config, "http.latency_all.p99_ms"), true});
  }
  c2t.series.push_back(Bar(in.ours, "half", "ours half rate", "flow.created_to_terminal.p50_ms",
                           "flow.created_to_terminal.p99_ms", "#9467bd"));
  c2t.series.push_back(Bar(in.ours, "overload", "ours overload", "flow.created_to_terminal.p50_ms",
                           "flow.created_to_terminal.p99_ms", "#ff7f0e"));
  http.series.push_back(Bar(in.ours, "overload", "ours overload", "http.latency_202.p50_ms",
                            "http.latency_all.p99_ms", "#ff7f0e"));
  Chart done{"completed orders/s vs offered", "offered orders/s", "completed orders/s", false, {}};
  done.series.push_back({"seed", kSeedColor, ByRate(in.seed, "flow.completed_rps")});
  done.series.push_back({"ours", kOursColor, ByRate(in.ours, "flow.completed_rps")});
  done.series.push_back({"ours overload", "#ff7f0e", ByRate(in.ours, "flow.completed_rps", "overload")});
  double top = 0;
  for (const auto& s : done.series) {
    for (const auto& [x, y] : s.points) top = std::max(top, x);
  }
  done.series.push_back({"offered", kGrey, {{0, 0}, {top, top}}, true});
  const double pg = Num(in.pgbench, "best.orders_per_s");
  if (!std::isnan(pg)) done.series.push_back({"pgbench best", "#2ca02c", {{0, pg}, {top, pg}}, true});
  return RenderSvg(c2t) + RenderSvg(http) + RenderSvg(done);
}

std::string OverloadChart(const Inputs& in) {
  const auto* phase = Phase(in.ours, "overload");
  Chart chart{"overload (ours): completed orders per second",
              "seconds since the overload began",
              "orders/s",
              false,
              {}};
  if (!phase) return RenderSvg(chart);
  Series done{"completed/s", kOursColor, {}};
  const auto& buckets = phase->at("flow").as_object().at("completed_per_s").as_array();
  for (std::size_t i = 0; i < buckets.size(); ++i)
    done.points.emplace_back(static_cast<double>(i) + 0.5, buckets[i].to_number<double>());
  const double sustained = Num(in.ours, "sustained_rps");
  const double end = std::max(Num(*phase, "duration_s"), static_cast<double>(buckets.size()));
  chart.series.push_back(std::move(done));
  chart.series.push_back(
      {"offered",
       kGrey,
       {{0, Num(*phase, "offered_rps")}, {Num(*phase, "duration_s"), Num(*phase, "offered_rps")}},
       true});
  chart.series.push_back({"sustained", "#2ca02c", {{0, sustained}, {end, sustained}}, true});
  chart.series.push_back(
      {"90 % of sustained", kSeedColor, {{0, 0.9 * sustained}, {end, 0.9 * sustained}}, true});
  return RenderSvg(chart);
}

std::string Cell(const boost::json::object& p, const char* path, int digits = 1) {
  const double v = Num(p, path);
  return std::isnan(v) ? "<td>-</td>" : fmt::format("<td>{:.{}f}</td>", v, digits);
}

// Where created → terminal went, hop by hop ("-" for results written before hops were measured).
std::string Hops(const boost::json::object& phase) {
  const auto hop = [&](const char* name) {
    const std::string path = std::string("flow.hops.") + name;
    return fmt::format("{:.2f}/{:.2f}", Num(phase, path + ".p50_ms"), Num(phase, path + ".p99_ms"));
  };
  if (std::isnan(Num(phase, "flow.hops.created_to_published.p50_ms"))) return "<td>-</td>";
  return fmt::format("<td>{}, {}, {}</td>", hop("created_to_published"), hop("published_to_paid"),
                     hop("paid_to_terminal"));
}

std::string PhaseTable(const std::string& name, const boost::json::object& config) {
  std::string out = fmt::format(
      "<h3>{}: phases</h3><table class=small><tr><th>phase</th><th>offered/s</th><th>sent</th>"
      "<th>202</th><th>503</th><th>429</th><th>errors</th><th>cap waits</th><th>peak conns</th>"
      "<th>send lag p99 ms</th>"
      "<th>202 p50/p90/p99/max ms</th><th>503 p50/p99 ms</th><th>c2t p50/p90/p99/max ms</th>"
      "<th>c2t hops p50/p99 ms: created&rarr;published, published&rarr;paid, paid&rarr;terminal</th>"
      "<th>done/s</th><th>min 1 s</th><th>backlog s</th><th>disk stalled s (longest)</th>"
      "<th>machine busy / idle / stolen %</th>"
      "<th>CPU ms/order: orders/payments/gateway/postgres/rabbitmq = total (loadgen)</th>"
      "<th>commits/order</th><th>WAL syncs/order</th><th>deadlocks</th><th>verdict</th></tr>",
      Escape(name));
  for (const auto& value : Phases(config)) {
    const auto& p = value.as_object();
    const auto quad = [&](const std::string& d) {
      return fmt::format("<td>{:.2f} / {:.2f} / {:.2f} / {:.1f}</td>", Num(p, d + ".p50_ms"),
                         Num(p, d + ".p90_ms"), Num(p, d + ".p99_ms"), Num(p, d + ".max_ms"));
    };
    const auto cpu = [&](const char* k) { return Num(p, std::string("cpu_ms_per_order.") + k); };
    out += fmt::format("<tr><td>{}</td>", Escape(std::string(p.at("name").as_string())));
    out += Cell(p, "offered_rps", 0) + Cell(p, "http.sent", 0) + Cell(p, "http.accepted_202", 0) +
           Cell(p, "http.rejected_503", 0) + Cell(p, "http.limited_429", 0) + Cell(p, "http.errors", 0) +
           Cell(p, "http.client_cap_waits", 0) + Cell(p, "http.peak_connections", 0) +
           Cell(p, "http.send_lag.p99_ms", 2) + quad("http.latency_202") +
           fmt::format("<td>{:.2f} / {:.2f}</td>", Num(p, "http.latency_503.p50_ms"),
                       Num(p, "http.latency_503.p99_ms")) +
           quad("flow.created_to_terminal") + Hops(p) + Cell(p, "flow.completed_rps") +
           Cell(p, "flow.min_completed_rps_1s", 0) + Cell(p, "flow.backlog_gone_s", 2) +
           (std::isnan(Num(p, "disk.stalled_s"))
                ? std::string("<td>-</td>")
                : fmt::format("<td>{:.1f} ({:.1f})</td>", Num(p, "disk.stalled_s"),
                              Num(p, "disk.longest_stall_s")));
    out += std::isnan(Num(p, "machine.steal_share"))
               ? std::string("<td>-</td>")
               : fmt::format("<td>{:.0f} / {:.0f} / {:.1f}</td>", 100 * Num(p, "machine.busy_share"),
                             100 * Num(p, "machine.idle_share"), 100 * Num(p, "machine.steal_share"));
    out += fmt::format("<td>{:.3f}/{:.3f}/{:.3f}/{:.3f}/{:.3f} = {:.3f} ({:.3f})</td>", cpu("orders"),
                       cpu("payments"), cpu("gateway"), cpu("postgres"), cpu("rabbitmq"), cpu("total"),
                       cpu("loadgen"));
    out += Cell(p, "db.commits_per_order", 2) + Cell(p, "db.wal_syncs_per_order", 2) +
           Cell(p, "db.deadlocks", 0);
    const auto verdict = p.find("search_verdict");
    out += fmt::format("<td>{}</td></tr>",
                       verdict == p.end() ? "" : Escape(std::string(verdict->value().as_string())));
  }
  return out + "</table>";
}

std::string PgbenchTable(const boost::json::object& pgbench) {
  std::string out = fmt::format(
      "<h3>pgbench: naive SQL, {} transactions per order, {} s per client count</h3>"
      "<table class=small><tr><th>clients</th><th>orders/s</th></tr>",
      Num(pgbench, "transactions_per_order"), Num(pgbench, "duration_s"));
  const auto runs = pgbench.find("runs");
  if (runs == pgbench.end() || !runs->value().is_array()) return out + "</table>";
  for (const auto& run : runs->value().as_array()) {
    out += fmt::format("<tr><td>{}</td><td>{:.1f}</td></tr>", Num(run.as_object(), "clients"),
                       Num(run.as_object(), "orders_per_s"));
  }
  return out + "</table>";
}

std::string SummaryTables(const std::vector<SummaryRow>& rows, const std::vector<Target>& targets) {
  std::string out =
      "<h2>Summary</h2><table><tr><th></th><th>pgbench (naive SQL)</th><th>seed mode</th><th>ours</th></tr>";
  for (const auto& r : rows) {
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", Escape(r.what),
                       Escape(r.pgbench), Escape(r.seed), Escape(r.ours));
  }
  out += "</table><h2>Targets</h2><table><tr><th>target</th><th>measured</th><th>result</th></tr>";
  for (const auto& t : targets) {
    const char* cls = t.pass ? (*t.pass ? "pass" : "fail") : "";
    out += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>", Escape(t.name),
                       Escape(t.detail), cls, t.pass ? (*t.pass ? "PASS" : "FAIL") : "not measured");
  }
  return out + "</table>";
}

}  // namespace

std::string RenderHtml(const Inputs& in, const std::vector<SummaryRow>& rows,
                       const std::vector<Target>& targets, const std::vector<std::string>& problems) {
  std::string out = "<!doctype html><html lang=en><head><meta charset=utf-8><title>KPO 4 bench</title>";
  out += kStyle;
  out += fmt::format("</head><body><h1>KPO 4 — make bench ({} run)</h1>", Escape(in.mode));
  out +=
      "<p class=small>Open loop: requests at fixed times, latency from the scheduled send (no coordinated "
      "omission). "
      "created → terminal is read from each order's timeline in the orders database. pgbench runs the SQL of "
      "a naive "
      "one-order-per-transaction design (bench/naive_order.sql, 3 transactions per order) on scratch copies "
      "of the "
      "schemas. CPU and statistics are whole-machine figures: other work on the host is included.</p>";
  if (in.mode == "smoke")
    out += "<p><b>A smoke run: seconds at a low rate. The targets below mean nothing here.</b></p>";
  for (const auto& p : problems) out += fmt::format("<p class=fail>check failed: {}</p>", Escape(p));
  out += SummaryTables(rows, targets);
  out += "<h2>Charts</h2><div class=charts>" + LatencyCharts(in) + OverloadChart(in) + "</div>";
  out += PhaseTable("ours", in.ours) + PhaseTable("seed mode", in.seed);
  out += PgbenchTable(in.pgbench);
  return out + "</body></html>\n";
}

}  // namespace kpo::bench
