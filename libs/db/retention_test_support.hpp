#pragma once
// For the tests of a table's retention sweep (db/retention.hpp) against a real PostgreSQL.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>

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

}  // namespace kpo::db
