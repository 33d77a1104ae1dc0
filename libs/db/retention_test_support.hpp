#pragma once
// For the tests of a table's retention sweep (db/retention.hpp) against a real PostgreSQL.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "db/retention.hpp"

namespace kpo::db {

// Ten years: no row of a real run is that old, so only the test's own rows qualify.
inline constexpr auto kTestRetention = std::chrono::hours(24 * 3650);

// Inserts three rows older than kTestRetention and two younger ones (`insert(days_ago)` returns a
// row's key), then checks that `sweep` with a chunk of 2 deletes 2, 1, then 0 rows and exactly the
// old ones (`remembered(key)`: is the row still there).
inline void ExpectSweepForgetsOldRowsAChunkAtATime(
    Connection& db, RetentionSweep sweep, const std::function<std::string(int days_ago)>& insert,
    const std::function<bool(const std::string&)>& remembered) {
  const auto old1 = insert(3700), old2 = insert(3700), old3 = insert(3700);
  const auto recent = insert(3000), fresh = insert(0);
  sweep.retention = kTestRetention;
  sweep.chunk = 2;
  EXPECT_EQ(SweepOnce(db, sweep), 2);
  EXPECT_EQ(SweepOnce(db, sweep), 1);
  EXPECT_EQ(SweepOnce(db, sweep), 0);
  for (const auto& gone : {old1, old2, old3}) EXPECT_FALSE(remembered(gone)) << gone;
  for (const auto& kept : {recent, fresh}) EXPECT_TRUE(remembered(kept)) << kept;
}

// The chunk ExpectSweepReadsOnlyItsChunk deletes, out of the 20,000 old rows it makes.
inline constexpr std::size_t kTestChunk = 5'000;

// Checks that a sweep's cost does not grow with its table: on a private copy of `table` (a
// temporary table of the same name, which the sweep's unqualified name then resolves to) filled
// with 20,000 rows by `fill_old_rows` (an INSERT of rows all older than kTestRetention) and
// analysed, `sweep_chunk` (deletes at most kTestChunk rows older than kTestRetention, returns how
// many) deletes a full chunk without scanning the table sequentially, under both the custom and
// the generic plan PostgreSQL may pick for a prepared statement. Leaves no trace.
inline void ExpectSweepReadsOnlyItsChunk(const std::string& url, std::string_view table,
                                         std::string_view fill_old_rows,
                                         const std::function<std::int64_t(Connection&)>& sweep_chunk) {
  for (const char* plan_mode : {"force_custom_plan", "force_generic_plan"}) {
    // A connection of its own: the sweep's statement is prepared after the temporary table
    // exists, so it names the copy.
    Connection db(url, {});
    const std::string name(table);
    std::string create = "CREATE TEMPORARY TABLE ";
    create.append(name).append(" (LIKE public.").append(name).append(" INCLUDING ALL)");
    db.Exec(create);
    db.Exec(fill_old_rows);
    db.Exec("ANALYZE pg_temp." + name);
    // The counter also holds the scans of this session not yet reported (the fill's), so the
    // sweep's are the difference.
    const auto sequential_scans = [&] {
      return db
          .Exec("SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = $1::regclass",
                {"pg_temp." + name})
          .Int(0, "seq_scan");
    };
    db.Exec("BEGIN");
    db.Exec(std::string("SET LOCAL plan_cache_mode = ") + plan_mode);
    const auto before = sequential_scans();
    EXPECT_EQ(sweep_chunk(db), static_cast<std::int64_t>(kTestChunk)) << plan_mode;
    EXPECT_EQ(sequential_scans() - before, 0)
        << "the " << plan_mode << " plan read the whole of " << name << " to delete one chunk";
    db.Exec("ROLLBACK");
  }
}

// The same for a RetentionSweep.
inline void ExpectSweepReadsOnlyItsChunk(const std::string& url, RetentionSweep sweep, std::string_view table,
                                         std::string_view fill_old_rows) {
  sweep.retention = kTestRetention;
  sweep.chunk = kTestChunk;
  ExpectSweepReadsOnlyItsChunk(url, table, fill_old_rows,
                               [&](Connection& db) { return SweepOnce(db, sweep); });
}

}  // namespace kpo::db
