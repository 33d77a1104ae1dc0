#pragma once
// What the report says: the comparison rows, the targets with pass/fail, the smoke test's checks.
#include <string>
#include <vector>

#include "report/report.hpp"

namespace kpo::bench {

std::vector<SummaryRow> Summarize(const Inputs& in);
std::vector<Target> JudgeTargets(const Inputs& in);
// Problems that make the smoke test fail (never speed): unfinished orders, unexpected errors.
std::vector<std::string> CheckRun(const Inputs& in);
void PrintSummary(const Inputs& in, const std::vector<SummaryRow>& rows, const std::vector<Target>& targets);

}  // namespace kpo::bench
