#pragma once
// Idempotency-Key for POST requests, stored in the same transaction as the request's effect.
//
// The table is defined here, once (migrations/*.sql, see IdempotencySchema):
//   idempotency_keys(user_id text, key text, fingerprint text, status int, body text,
//                    location text NULL, created_at timestamptz, PRIMARY KEY (user_id, key))
#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "db/retention.hpp"
#include "http/message.hpp"

namespace kpo::idempotency {

inline constexpr std::size_t kMaxKeyLength = 255;

// The idempotency_keys table, component "idempotency": a service that uses Run applies it with
// its own migrations (db::Migrate, before the service's schema).
db::Schema IdempotencySchema();

// Runs `effect` in a transaction on `pool` and returns its response. With an Idempotency-Key
// header (1–255 visible ASCII characters, else 422):
//  - the same user, key and request (method, path, body; a JSON body's key order and spacing do not
//    count) within 24 h replays the first response
//    (status, body, Location) with `Idempotent-Replayed: true`, without running `effect`;
//  - the same key with a different request → 422;
//  - the same key while the first request is still running → 409;
//  - otherwise `effect` runs and its response is stored in the same transaction, so the key is
//    recorded if and only if the effect committed. Responses with status ≥ 500 are not stored.
// Exceptions from `effect` roll everything back and propagate, and store nothing: an effect that
// refuses a request for what it finds in the database (no account, 404; a conflict, 409) returns
// that answer, so that a repeat is answered the same, not run again on what may have changed since.
// Requests refused before the effect (malformed, 422) get the same answer again anyway.
// How long a stored answer is replayed (kFind takes it as a parameter; KeySweep keeps keys an hour
// longer).
inline constexpr std::chrono::hours kReplayWindow{24};

// The sweep that deletes keys past the replay window (plus an hour, so that no key a request is
// still looking at goes), a chunk a second; database_url left for the service.
db::RetentionSweep KeySweep();

// With `applied`, which says (on the connection it is given) whether what the effect wrote is in
// the database, a COMMIT whose answer was lost is settled (db::InTransactionSettled): the answer if
// it committed, DbError 08006 (nothing applied) if not, instead of 08007 ("may have been applied").
// It is asked only when the effect ran in the transaction whose COMMIT was lost (a replay wrote nothing).
http::Response Run(db::Pool& pool, const http::Request& request, std::string_view user_id,
                   const std::function<http::Response(db::Transaction&)>& effect,
                   const std::function<bool(db::Connection&)>& applied = nullptr);

// The same, for callers that run many keyed requests in one transaction (a batch of orders).

// A request's valid Idempotency-Key with its user and the fingerprint of the request it came with.
struct KeyedRequest {
  std::string user_id;
  std::string key;
  // Method, path and body, a JSON body with its members in key order and no insignificant
  // whitespace: a retry that serialised the same values again is the same request.
  std::string fingerprint;
  // The same with the body as sent, which releases before 2026-12-08 stored: their keys still replay
  // (needed until every key stored by one is past the 24 h window).
  std::string sent_fingerprint;
};

// The Idempotency-Key of `request` by `user_id`: nullopt without one; ProblemError(422) when it
// is not 1–255 visible ASCII characters.
std::optional<KeyedRequest> ReadKey(const http::Request& request, std::string_view user_id);

// Inside `tx`, in two round trips for all of them: takes each key's transaction-scoped lock and
// looks up its stored answer. For each request, in order: nullopt when its effect is to run now
// (then Store its answer in the same transaction), else the answer to send instead — the stored
// one replayed, 409 when another transaction (or an earlier request in `requests`) holds the key,
// 422 when the key was used with a different request.
std::vector<std::optional<http::Response>> Claim(db::Transaction& tx, std::span<const KeyedRequest> requests);

// Queues storing `response` as the answer to `request` (an answer ≥ 500 is not stored), to run
// with the transaction's next statement or its commit.
void Store(db::Transaction& tx, const KeyedRequest& request, const http::Response& response);

}  // namespace kpo::idempotency
