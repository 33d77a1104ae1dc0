#pragma once
// Every statement the load generator runs against the orders database. $1 is a uuid[] of the
// phase's users, $2/$3 its time window in Unix milliseconds ([from, to)).
#include <string_view>

namespace kpo::bench::sql {

inline constexpr std::string_view kPendingOrders = R"sql(
SELECT count(*) AS pending FROM orders
WHERE user_id = ANY($1::uuid[]) AND status = 'Created'
  AND created_at >= to_timestamp($2::double precision / 1000) AND created_at < to_timestamp($3::double precision / 1000))sql";

// created → published → paid → terminal from the order's own timeline (stamped by the services and
// kept in the order's row: the final step's time is updated_at once the status is final), in Unix
// microseconds.
inline constexpr std::string_view kOrderTimes = R"sql(
SELECT (extract(epoch FROM o.created_at) * 1000000)::bigint AS created_us,
       (extract(epoch FROM o.published_at) * 1000000)::bigint AS published_us,
       (extract(epoch FROM o.paid_at) * 1000000)::bigint AS paid_us,
       CASE WHEN o.status <> 'Created' THEN (extract(epoch FROM o.updated_at) * 1000000)::bigint END AS terminal_us,
       o.status
FROM orders o
WHERE o.user_id = ANY($1::uuid[])
  AND o.created_at >= to_timestamp($2::double precision / 1000) AND o.created_at < to_timestamp($3::double precision / 1000))sql";

// Cluster-wide statistics (readable by any role): commits and deadlocks of the system's databases,
// WAL flushes.
inline constexpr std::string_view kCommits = R"sql(
SELECT datname, xact_commit, deadlocks FROM pg_stat_database WHERE datname = ANY($1::text[]))sql";
// stats_reset moves when the counters restart from zero (a crash recovery does that, a clean restart does
// not).
inline constexpr std::string_view kWal =
    "SELECT wal_sync, wal_write, coalesce(stats_reset::text, '') AS stats_reset FROM pg_stat_wal";

}  // namespace kpo::bench::sql
