#include "db/statistics.hpp"

#include <spdlog/spdlog.h>

#include "core/retry.hpp"

namespace kpo::db {
namespace {

// reltuples is what the statistics describe (-1: never analyzed nor vacuumed); last_analyze and
// last_autoanalyze are NULL until the first ANALYZE, which alone gives the planner column statistics.
// The names come quoted from the catalog (format %I), never from anyone's input.
constexpr std::string_view kStaleTables = R"sql(
SELECT format('%I.%I', s.schemaname, s.relname) AS qualified_name
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.n_live_tup >= $1::bigint
  AND (greatest(s.last_analyze, s.last_autoanalyze) IS NULL
       OR s.n_live_tup > (1 + $2::float8) * c.reltuples)
ORDER BY s.n_live_tup DESC)sql";

}  // namespace

std::vector<std::string> AnalyzeStaleTables(Connection& db, const StatisticsKeeperOptions& options) {
  const auto stale =
      db.Exec(kStaleTables, {std::to_string(options.min_rows), std::to_string(options.growth)});
  std::vector<std::string> analyzed;
  for (int i = 0; i < stale.Rows(); ++i) {
    // ANALYZE takes no parameters; the name is the catalog's own, quoted by format() above.
    analyzed.push_back(stale.Text(i, "qualified_name"));
    db.ExecScript("ANALYZE (SKIP_LOCKED) " + analyzed.back());
  }
  return analyzed;
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): std::jthread hands the token by value
void RunStatisticsKeeper(const StatisticsKeeperOptions& options, std::stop_token stop) {
  core::RunWithReconnect("statistics keeper", stop, [&] {
    Connection db(options.database_url, {.application_name = "statistics-keeper"});
    while (!stop.stop_requested()) {
      for (const auto& table : AnalyzeStaleTables(db, options)) spdlog::debug("analyzed {}", table);
      core::WaitFor(stop, options.every);
    }
  });
}

}  // namespace kpo::db
