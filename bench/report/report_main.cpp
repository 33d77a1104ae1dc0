// kpo-bench-report: merges one `make bench` run (pgbench summary + one kpo-load document per
// configuration) into the summary table on stdout, one JSON document and a self-contained HTML page.
//   kpo-bench-report --ours=F --seed=F --pgbench=F --common-rate=100 --mode=full|smoke
//                    --out-json=F --out-html=F [--check]
// --check (the smoke test) fails the run when a phase left accepted orders unfinished, when any
// request failed unexpectedly, or when an output is missing; it never judges speed.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/args.hpp"
#include "report/report.hpp"
#include "report/summary.hpp"

namespace {

using namespace kpo::bench;

boost::json::object Load(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << file.rdbuf();
  return boost::json::parse(text.str()).as_object();
}

void Write(const std::string& path, const std::string& content) {
  std::ofstream file(path);
  file << content;
  if (!file) throw std::runtime_error("cannot write " + path);
}

boost::json::object Document(const Inputs& in, const std::vector<SummaryRow>& rows,
                             const std::vector<Target>& targets, const std::vector<std::string>& problems) {
  boost::json::array summary;
  for (const auto& r : rows)
    summary.push_back({{"what", r.what}, {"pgbench", r.pgbench}, {"seed", r.seed}, {"ours", r.ours}});
  boost::json::array judged;
  for (const auto& t : targets) {
    boost::json::object o{{"target", t.name}, {"detail", t.detail}};
    o["pass"] = t.pass ? boost::json::value(*t.pass) : boost::json::value(nullptr);
    judged.push_back(std::move(o));
  }
  boost::json::array issues(problems.begin(), problems.end());
  return {{"mode", in.mode},
          {"common_rate", in.common_rate},
          {"pgbench", in.pgbench},
          {"configs", {{"seed", in.seed}, {"ours", in.ours}}},
          {"summary", std::move(summary)},
          {"targets", std::move(judged)},
          {"check_problems", std::move(issues)}};
}

int Run(const Args& args) {
  args.Require({"ours", "seed", "pgbench", "out-json", "out-html"});
  Inputs in{Load(args.At("pgbench")), Load(args.At("seed")), Load(args.At("ours")),
            args.Number("common-rate", 100.0), args.Text("mode", "full")};
  const auto rows = Summarize(in);
  const auto targets = JudgeTargets(in);
  auto problems = CheckRun(in);
  Write(args.At("out-json"), boost::json::serialize(Document(in, rows, targets, problems)) + "\n");
  Write(args.At("out-html"), RenderHtml(in, rows, targets, problems));
  for (const char* out : {"out-json", "out-html"}) {
    if (!std::filesystem::exists(args.At(out)) || std::filesystem::file_size(args.At(out)) == 0) {
      problems.push_back("no output written to " + args.At(out));
    }
  }
  PrintSummary(in, rows, targets);
  if (!args.Has("check")) {
    for (const auto& p : problems) std::printf("note: %s\n", p.c_str());
  } else {
    for (const auto& p : problems) std::printf("CHECK FAILED: %s\n", p.c_str());
    if (!problems.empty()) return 1;
    std::printf("check: outputs written, every phase completed its accepted orders, no unexpected errors\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The edge of the program: a missing or malformed input is reported and fails the run.
  try {
    return Run(Args::Parse(argc, argv, /*bare_flags=*/true));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "kpo-bench-report: %s\n", error.what());
    return 1;
  }
}
