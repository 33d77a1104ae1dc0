#pragma once
// The report over one bench run: the three result documents, the comparison and the targets.
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kpo::bench {

struct Inputs {
  boost::json::object pgbench;  // bench/run.sh's pgbench summary
  boost::json::object seed;     // kpo-load documents, one per configuration
  boost::json::object ours;
  double common_rate = 100;  // the search step both configurations ran
  std::string mode;          // "full" or "smoke"
};

struct SummaryRow {
  std::string what;
  std::string pgbench;
  std::string seed;
  std::string ours;
};

struct Target {
  std::string name;
  std::string detail;
  std::optional<bool> pass;  // nullopt: not measured in this run
};

// The number at a dotted path ("flow.created_to_terminal.p50_ms"); NaN when absent or null.
double Num(const boost::json::object& root, std::string_view path);
// The phase called `name` of a configuration's document, or nullptr.
const boost::json::object* Phase(const boost::json::object& config, const std::string& name);
// The search step at the configuration's sustained rate, or nullptr when none passed.
const boost::json::object* SustainedPhase(const boost::json::object& config);

// A self-contained HTML page: tables and inline SVG charts.
std::string RenderHtml(const Inputs& in, const std::vector<SummaryRow>& rows,
                       const std::vector<Target>& targets, const std::vector<std::string>& problems);

}  // namespace kpo::bench
