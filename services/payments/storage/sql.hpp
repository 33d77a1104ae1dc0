#pragma once
// Every statement the payments service runs. All are parameterised and prepared per connection.
// Batches travel as arrays ($n::type[]) expanded with unnest: one statement per batch, not per row.
#include <string_view>

namespace kpo::payments::sql {

inline constexpr std::string_view kInsertAccount = R"sql(
INSERT INTO accounts (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING
RETURNING user_id, balance, created_at, updated_at)sql";

inline constexpr std::string_view kSelectAccount = R"sql(
SELECT user_id, balance, created_at, updated_at FROM accounts WHERE user_id = $1)sql";

// Row locks, always taken in user_id order so that two batches never wait for each other in a
// cycle: charges and deposits of one account apply one after the other (no lost update). NO KEY
// UPDATE: the balance changes, the key never does, and rows that reference the account (their
// foreign-key checks take KEY SHARE) need not wait.
inline constexpr std::string_view kLockAccounts = R"sql(
SELECT user_id::text AS user_id, balance FROM accounts WHERE user_id = ANY($1::uuid[]) ORDER BY user_id FOR NO KEY UPDATE)sql";

inline constexpr std::string_view kSetBalances = R"sql(
UPDATE accounts AS a SET balance = c.balance, updated_at = clock_timestamp()
FROM unnest($1::uuid[], $2::bigint[]) AS c(user_id, balance) WHERE a.user_id = c.user_id)sql";

// In array order, so that the ledger's seq follows the order in which balances were computed.
inline constexpr std::string_view kInsertEntries = R"sql(
INSERT INTO entries (id, user_id, kind, amount, order_id, balance_after)
SELECT id, user_id, kind, amount, order_id, balance_after
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::uuid[], $6::bigint[])
     WITH ORDINALITY AS e(id, user_id, kind, amount, order_id, balance_after, n)
ORDER BY n)sql";

inline constexpr std::string_view kEntryExists = R"sql(
SELECT EXISTS (SELECT 1 FROM entries WHERE id = $1) AS found)sql";

// Newest first; $2 is the id of the last entry of the previous page (or NULL for the first).
inline constexpr std::string_view kSelectEntriesPage = R"sql(
SELECT id, kind, amount, order_id, balance_after, created_at FROM entries
WHERE user_id = $1 AND ($2::uuid IS NULL OR seq < (SELECT seq FROM entries WHERE id = $2 AND user_id = $1))
ORDER BY seq DESC LIMIT $3)sql";

// Claims the decision for orders, in order_id order, and locks the accounts of the orders claimed
// (as kLockAccounts does), in one round trip. A concurrent claim for the same order waits for this
// transaction and then finds the row taken: only the orders returned are this transaction's to
// decide (an order twice in one batch is returned once). A row per claimed order; user_id and
// balance are NULL when its user has no account.
inline constexpr std::string_view kClaimOrderPayments = R"sql(
WITH claimed AS (
  INSERT INTO order_payments (order_id, user_id, amount, status, processed_at)
  SELECT order_id, user_id, amount, 'pending', clock_timestamp()
  FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS c(order_id, user_id, amount) ORDER BY order_id
  ON CONFLICT (order_id) DO NOTHING RETURNING order_id, user_id
), locked AS MATERIALIZED (
  SELECT user_id, balance FROM accounts WHERE user_id IN (SELECT user_id FROM claimed)
  ORDER BY user_id FOR NO KEY UPDATE
)
SELECT c.order_id::text AS order_id, l.user_id::text AS user_id, l.balance
FROM claimed c LEFT JOIN locked l ON l.user_id = c.user_id)sql";

inline constexpr std::string_view kRecordDecisions = R"sql(
UPDATE order_payments AS p SET status = d.status, reason = d.reason, entry_id = d.entry_id, processed_at = d.at
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::timestamptz[]) AS d(order_id, status, reason, entry_id, at)
WHERE p.order_id = d.order_id)sql";

}  // namespace kpo::payments::sql
