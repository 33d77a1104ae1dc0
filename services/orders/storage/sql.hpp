#pragma once
// Every statement the orders service runs. All are parameterised and prepared per connection.
// Batches travel as arrays ($n::type[]) expanded with unnest: one statement per batch, not per row.
#include <string_view>

namespace kpo::orders::sql {

// New orders and their change events for live updates, in one statement for a whole batch (the
// intake's group commit). The events are inserted in the batch's order, so their ids follow it.
// An order's timeline lives in its row (migration 0006): "created" is created_at.
inline constexpr std::string_view kInsertOrders = R"sql(
WITH new AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::timestamptz[], $6::text[])
    WITH ORDINALITY AS n(id, user_id, amount, description, created_at, payload, position)
), inserted AS (
  INSERT INTO orders (id, user_id, amount, description, status, created_at, updated_at)
  SELECT id, user_id, amount, description, 'Created', created_at, created_at FROM new
)
INSERT INTO order_events (user_id, payload) SELECT user_id, payload FROM new ORDER BY position)sql";

// Marks "published" for many orders at once (the relay's confirmed batch); an order keeps the first
// record. A message published again after a relay died between the broker's confirm and its commit
// may find the payment result already applied: the first publish was confirmed no later than that,
// so the step takes the payment's time rather than the repeat's and the timeline stays in causal
// order (least() ignores a NULL paid_at).
// The orders are locked in id order first, as kLockOrders locks them: the payment results of a
// batch can arrive before the relay commits it, and two writers locking the same rows in different
// orders would deadlock. published_at is in no index, so the update is HOT where the page has room.
// Each order takes its own send time ($2, same index as $1; an order published twice in one batch
// takes the earlier).
inline constexpr std::string_view kRecordPublished = R"sql(
UPDATE orders o SET published_at = least(locked.sent_at, o.paid_at)
FROM (SELECT orders.id, sent.at AS sent_at
      FROM orders JOIN (SELECT id, min(at) AS at FROM unnest($1::uuid[], $2::timestamptz[]) AS p(id, at)
                        GROUP BY id) AS sent ON sent.id = orders.id
      WHERE orders.published_at IS NULL ORDER BY orders.id FOR NO KEY UPDATE OF orders) AS locked
WHERE o.id = locked.id AND o.published_at IS NULL)sql";

// Orders are read with their timeline's times (published_at, paid_at); OrderRepository builds the
// steps from them.
inline constexpr std::string_view kSelectOrderForUser = R"sql(
SELECT id, user_id, amount, description, status, failure_reason, created_at, updated_at, published_at, paid_at
FROM orders WHERE id = $1 AND user_id = $2)sql";

// Newest first; $2 is the id of the last order of the previous page (or NULL for the first).
inline constexpr std::string_view kSelectOrdersPage = R"sql(
SELECT id, user_id, amount, description, status, failure_reason, created_at, updated_at, published_at, paid_at
FROM orders
WHERE user_id = $1
  AND ($2::uuid IS NULL OR (created_at, id) < (SELECT created_at, id FROM orders WHERE id = $2 AND user_id = $1))
ORDER BY created_at DESC, id DESC
LIMIT $3)sql";

// Locks orders (in id order, so two batches, or a batch and the relay's kRecordPublished, never wait
// for each other in a cycle): concurrent results for one order apply one after the other.
inline constexpr std::string_view kLockOrders = R"sql(
SELECT id, user_id, amount, description, status, failure_reason, created_at, updated_at, published_at, paid_at
FROM orders WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE)sql";

// Only orders still pending move. Written as "not final" rather than `status = 'Created'`, which
// the planner matches to the partial index orders_pending_by_age: that index looks tiny to it but
// holds a dead entry for every order since the last vacuum, and hash-joining against all of it
// cost ~280 buffer reads per order (pg_stat_statements) where looking each order up by key costs 4.
// updated_at is the final step's time, paid_at the payment step's. A "published" later than the
// payment (a relay that died between the broker's confirm and its commit published again, and that
// repeat committed before this result) takes the payment's time: the first publish was confirmed
// no later than that (ApplyPaymentOutcome does the same to the order it returns).
inline constexpr std::string_view kUpdateStatuses = R"sql(
UPDATE orders AS o SET status = t.status, failure_reason = t.reason, updated_at = t.at, paid_at = t.paid_at,
  published_at = CASE WHEN o.published_at > t.paid_at THEN t.paid_at ELSE o.published_at END
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])
  AS t(id, status, reason, at, paid_at)
WHERE o.id = t.id AND o.status NOT IN ('Finished', 'Cancelled'))sql";

// Live updates: every change is stored; each replica's poller reads new rows and fans them out.
inline constexpr std::string_view kInsertOrderEvents = R"sql(
INSERT INTO order_events (user_id, payload) SELECT * FROM unnest($1::uuid[], $2::text[]))sql";

// Live updates stream events in (tx_id, id) order, and only events of transactions below the oldest
// one still running (live_updates.cpp passes one that runs too long): every transaction that could
// still add an event before them has ended. This reads the snapshot's bounds and running ids. (xid8
// values stay below 2^63 for as long as PostgreSQL's 32-bit epoch lasts, so they are read as bigint.)
inline constexpr std::string_view kSelectStreamBounds = R"sql(
SELECT pg_snapshot_xmin(s)::text::bigint AS xmin, pg_snapshot_xmax(s)::text::bigint AS xmax,
  x::text::bigint AS running
FROM pg_current_snapshot() AS s LEFT JOIN LATERAL pg_snapshot_xip(s) AS x ON true
ORDER BY running)sql";

// The poller's read: events of every user after position ($1, $2), of transactions below $3.
inline constexpr std::string_view kSelectNewEvents = R"sql(
SELECT id, tx_id::text::bigint AS tx, user_id::text AS user_id, payload FROM order_events
WHERE (tx_id, id) > ($1::xid8, $2::bigint) AND tx_id < $3::xid8
ORDER BY tx_id, id LIMIT $4)sql";

// Where a resuming client stands: the position of the last event it got.
inline constexpr std::string_view kSelectEventPosition = R"sql(
SELECT tx_id::text::bigint AS tx FROM order_events WHERE id = $1)sql";

// What a resuming client missed: its events after position ($2, $3), below the bound, which is at
// least $4: the floor past which the poller gave up waiting for a transaction left open too long.
inline constexpr std::string_view kSelectEventsAfter = R"sql(
SELECT id, tx_id::text::bigint AS tx, user_id::text AS user_id, payload FROM order_events
WHERE user_id = $1 AND (tx_id, id) > ($2::xid8, $3::bigint)
  AND tx_id < greatest(pg_snapshot_xmin(pg_current_snapshot()), $4::xid8)
ORDER BY tx_id, id LIMIT $5)sql";

// At most $2 rows a statement, so no clean-up writes a burst of WAL that commits would queue behind.
// The shape every retention sweep shares (db/retention.hpp): the chunk is found in created_at
// order, which only the index can give cheaply, and deleted by row address (a TID scan). With
// `id IN (chunk)` PostgreSQL hash-joined the chunk against a sequential scan of the whole table,
// every second: 5,758 blocks for a 5,000-row chunk of a 97,000-row table, and an hour's events
// under load are millions of rows.
inline constexpr std::string_view kDeleteOldEvents = R"sql(
WITH deleted AS (
  DELETE FROM order_events WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM order_events WHERE created_at < now() - make_interval(secs => $1::bigint)
    ORDER BY created_at LIMIT $2))
  RETURNING 1)
SELECT count(*) AS deleted FROM deleted)sql";

// The pipeline's backlog for admission. Times are the orders replica's clock, which stamps
// created_at, so the database's clock never meets a replica's (a replica behind the database
// would have seemed behind on every order).
// waiting, oldest_created_ms: the orders created after $1 (and up to now, $5) still waiting for their
// payment, counted up to $2 through the partial index of waiting orders (0003), and the creation time of the
// oldest (its first entry; epoch milliseconds, 0 when none waits). The bound is a parameter, so it is an
// index condition: with clock_timestamp() in it PostgreSQL read the whole partial index (~1,400
// pages of dead entries under load) ten times a second to filter it.
// stalled: the newest order older than the window ($1) and created since $3 still waits, and none
// of the $4 orders placed after it (ids are time-ordered) has been paid for. Cheap either way:
// the newest such order is one step into the partial index, and a pipeline that moves has paid for
// one of the first few orders after it.
// replicas: the sessions named $6 of this role on this database, one per orders replica's admission
// (pg_stat_activity is shared memory, not a table; the role keeps another role's sessions that take
// the name from counting).
inline constexpr std::string_view kPipelineBacklog = R"sql(
WITH waiting AS (
  SELECT created_at FROM orders
  WHERE status = 'Created' AND created_at > $1::timestamptz AND created_at <= $5::timestamptz
  ORDER BY created_at LIMIT $2
), lag AS (
  -- The longest-waiting tenth aside (rounded down: with fewer than ten waiting, the oldest).
  SELECT created_at FROM waiting ORDER BY created_at OFFSET (SELECT count(*) / 10 FROM waiting) LIMIT 1
), left_behind AS (
  SELECT id FROM orders
  WHERE status = 'Created' AND created_at <= $1::timestamptz AND created_at >= $3::timestamptz
  ORDER BY created_at DESC LIMIT 1
)
SELECT (SELECT count(*) FROM waiting) AS waiting,
       coalesce((SELECT (extract(epoch FROM min(created_at)) * 1000)::bigint FROM waiting), 0)
         AS oldest_created_ms,
       coalesce((SELECT (extract(epoch FROM created_at) * 1000)::bigint FROM lag), 0) AS lag_created_ms,
       EXISTS (SELECT 1 FROM left_behind) AND NOT EXISTS (
         SELECT 1 FROM (SELECT o.status FROM orders o, left_behind b WHERE o.id > b.id ORDER BY o.id LIMIT $4)
           AS later
         WHERE later.status <> 'Created') AS stalled,
       (SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND usename = current_user AND application_name = $6) AS replicas)sql";

}  // namespace kpo::orders::sql
