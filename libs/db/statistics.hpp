#pragma once
// Fresh planner statistics for young tables. PostgreSQL's autovacuum analyzes a database at most
// once per autovacuum_naptime (1 min by default), and until a table's first ANALYZE the planner
// guesses: an equality on a column without statistics matches 0.5 % of the rows. On a new database
// under load that guess made the hot statements scan whole tables (the orders consumer's lock
// statement, when it still joined the timeline table, hash-joined a sequential scan of every
// order's timeline, 10 ms a call, where an index lookup takes 0.5), and a fresh system answered a steady 600
// orders/s only once the first autovacuum round had come by. The keeper analyzes a table as soon as it has
// grown enough for the old statistics to mislead; once a table is large, autovacuum's own 10 % rule runs
// first and the keeper has nothing to do.
#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>
#include <vector>

#include "db/connection.hpp"

namespace kpo::db {

struct StatisticsKeeperOptions {
  std::string database_url;
  std::chrono::milliseconds every = std::chrono::seconds(5);
  // A table is analyzed once it holds at least `min_rows` live rows and has never been analyzed,
  // or holds more than (1 + growth) times the rows its statistics describe. Smaller tables are
  // planned well enough without; the growth factor makes the analyses of a growing table
  // geometric (1,000, 1,500, 2,250, ... rows), so a table that only changes in place is left alone.
  std::int64_t min_rows = 1000;
  double growth = 0.5;
};

// Analyzes (ANALYZE SKIP_LOCKED: a table autovacuum holds is left to it) every table of the
// connected database whose statistics are stale by the rule above; returns their names
// (schema-qualified, quoted). Throws DbError.
std::vector<std::string> AnalyzeStaleTables(Connection& db, const StatisticsKeeperOptions& options);

// Runs AnalyzeStaleTables every `options.every` until `stop`; reconnects after database failures.
void RunStatisticsKeeper(const StatisticsKeeperOptions& options, std::stop_token stop);

}  // namespace kpo::db
