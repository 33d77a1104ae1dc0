#include "db/retention.hpp"

#include <spdlog/spdlog.h>

#include "core/retry.hpp"

namespace kpo::db {

std::int64_t SweepOnce(Connection& db, const RetentionSweep& sweep) {
  return db
      .Exec(sweep.delete_older_than, {std::to_string(sweep.retention.count()), std::to_string(sweep.chunk)})
      .Int(0, "deleted");
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): std::jthread hands the token by value
void RunRetentionSweep(const RetentionSweep& sweep, std::stop_token stop) {
  const auto what = sweep.table + " sweep";
  core::RunWithReconnect(what, stop, [&] {
    Connection db(sweep.database_url, {.application_name = sweep.table + "-sweep"});
    while (!stop.stop_requested()) {
      const auto deleted = SweepOnce(db, sweep);
      if (deleted > 0) spdlog::debug("{}: forgot {} row(s)", what, deleted);
      core::WaitFor(stop, sweep.every);
    }
  });
}

}  // namespace kpo::db
