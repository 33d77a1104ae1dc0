#pragma once
// Every statement the payments service runs. All are parameterised and prepared per connection.
#include <string_view>

namespace kpo::payments::sql {

inline constexpr std::string_view kInsertAccount = R"sql(
INSERT INTO accounts (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING
RETURNING user_id, balance, created_at, updated_at)sql";

inline constexpr std::string_view kSelectAccount = R"sql(
SELECT user_id, balance, created_at, updated_at FROM accounts WHERE user_id = $1)sql";

// Row lock: charges and deposits of one account apply one after the other (no lost update).
inline constexpr std::string_view kLockAccount = R"sql(
SELECT user_id, balance, created_at, updated_at FROM accounts WHERE user_id = $1 FOR UPDATE)sql";

inline constexpr std::string_view kSetBalance = R"sql(
UPDATE accounts SET balance = $2, updated_at = clock_timestamp() WHERE user_id = $1)sql";

inline constexpr std::string_view kInsertEntry = R"sql(
INSERT INTO entries (id, user_id, kind, amount, order_id, balance_after) VALUES ($1, $2, $3, $4, $5, $6))sql";

// Newest first; $2 is the id of the last entry of the previous page (or NULL for the first).
inline constexpr std::string_view kSelectEntriesPage = R"sql(
SELECT id, kind, amount, order_id, balance_after, created_at FROM entries
WHERE user_id = $1 AND ($2::uuid IS NULL OR seq < (SELECT seq FROM entries WHERE id = $2 AND user_id = $1))
ORDER BY seq DESC LIMIT $3)sql";

// Claims the decision for an order. A concurrent claim for the same order waits for this
// transaction and then finds the row taken (no row inserted).
inline constexpr std::string_view kClaimOrderPayment = R"sql(
INSERT INTO order_payments (order_id, user_id, amount, status, processed_at)
VALUES ($1, $2, $3, 'pending', clock_timestamp()) ON CONFLICT (order_id) DO NOTHING)sql";

inline constexpr std::string_view kRecordDecision = R"sql(
UPDATE order_payments SET status = $2, reason = $3, entry_id = $4, processed_at = $5 WHERE order_id = $1)sql";

}  // namespace kpo::payments::sql
