#pragma once
// Idempotency-Key for POST requests, stored in the same transaction as the request's effect.
//
// The table is defined here, once (migrations/*.sql, see IdempotencySchema):
//   idempotency_keys(user_id text, key text, fingerprint text, status int, body text,
//                    location text NULL, created_at timestamptz, PRIMARY KEY (user_id, key))
#include <functional>
#include <string_view>

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
//  - the same user, key and request (method, path, body) within 24 h replays the first response
//    (status, body, Location) with `Idempotent-Replayed: true`, without running `effect`;
//  - the same key with a different request → 422;
//  - the same key while the first request is still running → 409;
//  - otherwise `effect` runs and its response is stored in the same transaction, so the key is
//    recorded if and only if the effect committed. Responses with status ≥ 500 are not stored.
// Exceptions from `effect` roll everything back and propagate.
// The sweep that deletes keys past the replay window (plus an hour, so that no key a request is
// still looking at goes), a chunk a second; database_url left for the service.
db::RetentionSweep KeySweep();

http::Response Run(db::Pool& pool, const http::Request& request, std::string_view user_id,
                   const std::function<http::Response(db::Transaction&)>& effect);

}  // namespace kpo::idempotency
