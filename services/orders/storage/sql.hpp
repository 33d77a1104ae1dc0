#pragma once
// Every statement the orders service runs. All are parameterised and prepared per connection.
#include <string_view>

namespace kpo::orders::sql {

inline constexpr std::string_view kInsertOrder = R"sql(
INSERT INTO orders (id, user_id, amount, description, status, created_at, updated_at)
VALUES ($1, $2, $3, $4, 'Created', $5, $5))sql";

inline constexpr std::string_view kInsertStep = R"sql(
INSERT INTO order_timeline (order_id, step, at) VALUES ($1, $2, $3) ON CONFLICT (order_id, step) DO NOTHING)sql";

// Marks "published" for many orders at once (the relay's confirmed batch).
inline constexpr std::string_view kInsertPublishedSteps = R"sql(
INSERT INTO order_timeline (order_id, step, at)
SELECT o.id, 'published', $2 FROM unnest($1::uuid[]) AS u(order_id) JOIN orders o ON o.id = u.order_id
ON CONFLICT (order_id, step) DO NOTHING)sql";

inline constexpr std::string_view kSelectOrderForUser = R"sql(
SELECT id, user_id, amount, description, status, failure_reason, created_at, updated_at
FROM orders WHERE id = $1 AND user_id = $2)sql";

// Newest first; $2 is the id of the last order of the previous page (or NULL for the first).
inline constexpr std::string_view kSelectOrdersPage = R"sql(
SELECT id, user_id, amount, description, status, failure_reason, created_at, updated_at
FROM orders
WHERE user_id = $1
  AND ($2::uuid IS NULL OR (created_at, id) < (SELECT created_at, id FROM orders WHERE id = $2 AND user_id = $1))
ORDER BY created_at DESC, id DESC
LIMIT $3)sql";

inline constexpr std::string_view kSelectTimelines = R"sql(
SELECT order_id, step, at FROM order_timeline WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, at)sql";

// Locks the order so that concurrent results for it apply one after the other.
inline constexpr std::string_view kLockOrder = R"sql(
SELECT id, user_id, amount, description, status, failure_reason, created_at, updated_at
FROM orders WHERE id = $1 FOR UPDATE)sql";

inline constexpr std::string_view kUpdateStatus = R"sql(
UPDATE orders SET status = $2, failure_reason = $3, updated_at = $4 WHERE id = $1 AND status = 'Created')sql";

// Live updates: the change is stored (for resuming streams) and announced to every replica's
// listener when the transaction commits.
inline constexpr std::string_view kInsertOrderEvent = R"sql(
INSERT INTO order_events (user_id, payload) VALUES ($1, $2) RETURNING id)sql";
inline constexpr std::string_view kNotifyOrderEvent = "SELECT pg_notify('order_events', $1)";

// Events a resuming client missed, oldest first.
inline constexpr std::string_view kSelectEventsAfter = R"sql(
SELECT id, payload FROM order_events WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT 1000)sql";

inline constexpr std::string_view kDeleteOldEvents = R"sql(
DELETE FROM order_events WHERE created_at < now() - interval '24 hours')sql";

}  // namespace kpo::orders::sql
