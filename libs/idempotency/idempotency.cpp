#include "idempotency/idempotency.hpp"

#include <sodium.h>

#include "http/problem.hpp"
#include "observability/metrics.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& idempotency_migrations();
}  // namespace kpo::generated

namespace kpo::idempotency {
namespace {

// A transaction-scoped lock per (user, key): a second request with the same key while the first
// is still in its transaction fails to take it and answers 409 instead of waiting.
constexpr std::string_view kTryLock = "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7)) AS locked";
constexpr std::string_view kFind = R"sql(
SELECT fingerprint, status, body, location FROM idempotency_keys
WHERE user_id = $1 AND key = $2 AND created_at > now() - interval '24 hours')sql";
// An expired row for the same key is overwritten: the 24 h window has passed.
constexpr std::string_view kStore = R"sql(
INSERT INTO idempotency_keys (user_id, key, fingerprint, status, body, location)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id, key) DO UPDATE
SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, body = EXCLUDED.body,
    location = EXCLUDED.location, created_at = now())sql";

// Keys past the window, through the B-tree index on created_at (0003), a chunk at a time, by row
// address (db/retention.hpp says why). A key stored again meanwhile (kStore: a new row version,
// created_at = now()) has moved to another address, so it is not deleted; `(user_id, key) IN`
// would have deleted it on the recheck.
constexpr std::string_view kDeleteOld = R"sql(
WITH deleted AS (
  DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1::bigint)
    ORDER BY created_at LIMIT $2))
  RETURNING 1)
SELECT count(*) AS deleted FROM deleted)sql";

std::string Fingerprint(const http::Request& request) {
  const std::string material = request.method + '\n' + request.path + '\n' + request.body;
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(material.data()), material.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

bool IsValidKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyLength) return false;
  for (char c : key) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

// Requests answered from the stored first answer: retries that a client, proxy or network made.
observability::Counter& Replays() {
  static auto& counter = observability::Registry::Global().GetCounter(
      "idempotency_replays_total",
      "Requests answered by replaying the first answer to their Idempotency-Key.");
  return counter;
}

}  // namespace

db::Schema IdempotencySchema() { return {"idempotency", generated::idempotency_migrations()}; }

db::RetentionSweep KeySweep() {
  db::RetentionSweep sweep;
  sweep.table = "idempotency_keys";
  sweep.delete_older_than = kDeleteOld;
  sweep.retention = std::chrono::hours(25);
  return sweep;
}

http::Response Run(db::Pool& pool, const http::Request& request, std::string_view user_id,
                   const std::function<http::Response(db::Transaction&)>& effect) {
  const auto header = request.Header("Idempotency-Key");
  if (!header) return db::InTransaction(pool, effect);
  const std::string key(*header);
  if (!IsValidKey(key)) {
    throw http::ProblemError(422, "Idempotency-Key must be 1 to 255 visible ASCII characters",
                             {{"Idempotency-Key", "must be 1 to 255 visible ASCII characters"}});
  }
  const std::string user(user_id);
  const auto fingerprint = Fingerprint(request);
  return db::InTransaction(pool, [&](db::Transaction& tx) {
    if (!tx.Exec(kTryLock, {user + '\n' + key}).Bool(0, "locked")) {
      throw http::ProblemError(409, "A request with this Idempotency-Key is still being processed");
    }
    auto found = tx.Exec(kFind, {user, key});
    if (!found.Empty()) {
      if (found.Text(0, "fingerprint") != fingerprint) {
        throw http::ProblemError(422, "This Idempotency-Key was already used with a different request",
                                 {{"Idempotency-Key", "already used with a different request"}});
      }
      http::Response replay =
          http::JsonResponse(static_cast<int>(found.Int(0, "status")), found.Text(0, "body"));
      if (auto location = found.OptionalText(0, "location")) replay.SetHeader("Location", *location);
      if (replay.status >= 400) replay.SetHeader("Content-Type", "application/problem+json; charset=utf-8");
      replay.SetHeader("Idempotent-Replayed", "true");
      Replays().Add();
      return replay;
    }
    http::Response response = effect(tx);
    if (response.status < 500) {
      auto location = http::FindHeader(response.headers, "Location");
      tx.Exec(kStore, {user, key, fingerprint, std::to_string(response.status), response.body,
                       location ? std::optional<std::string>(std::string(*location)) : std::nullopt});
    }
    return response;
  });
}

}  // namespace kpo::idempotency
