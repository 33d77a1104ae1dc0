#pragma once
// Tables that would only grow (inbox, idempotency keys) keep a retention: a sweep deletes rows older
// than it, a bounded chunk at a time, so memory, WAL and vacuum stay steady whatever the backlog.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stop_token>
#include <string>
#include <string_view>

#include "db/connection.hpp"

namespace kpo::db {

struct RetentionSweep {
  std::string table;         // names the sweep in logs and in pg_stat_activity
  std::string database_url;  // filled in by the service
  // Deletes at most $2 rows older than $1 seconds and answers one row with the column "deleted".
  // Its cost must not grow with the table: pick the chunk through the time column's B-tree
  // (`ORDER BY <time> LIMIT $2`, which no sequential scan can answer cheaply) and delete it by
  // `ctid = ANY(ARRAY(...))`, a TID scan. `key IN (chunk)` let PostgreSQL hash-join the chunk
  // against a sequential scan of the whole table on every sweep.
  std::string_view delete_older_than;
  std::chrono::seconds retention{0};
  // One DELETE of at most `chunk` rows every `every`: 5,000 a second is far more than the busiest
  // rate rows arrive at, and no sweep writes a burst of WAL that commits queue behind.
  std::chrono::milliseconds every = std::chrono::seconds(1);
  std::size_t chunk = 5'000;
};

// Deletes one chunk; returns how many rows went.
std::int64_t SweepOnce(Connection& db, const RetentionSweep& sweep);

// Deletes one chunk every `sweep.every` until `stop`; reconnects after database failures.
void RunRetentionSweep(const RetentionSweep& sweep, std::stop_token stop);

}  // namespace kpo::db
