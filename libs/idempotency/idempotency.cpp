#include "idempotency/idempotency.hpp"

#include <sodium.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <set>
#include <utility>

#include "db/arrays.hpp"
#include "http/problem.hpp"
#include "observability/metrics.hpp"

namespace kpo::generated {
const std::vector<kpo::db::Migration>& idempotency_migrations();
}  // namespace kpo::generated

namespace kpo::idempotency {
namespace {

// A transaction-scoped lock per (user, key): a second request with the same key while the first
// is still in its transaction fails to take it and answers 409 instead of waiting. Taken for a
// whole batch in one statement; try-locks never wait, so two batches cannot deadlock.
constexpr std::string_view kTryLocks = R"sql(
SELECT pg_try_advisory_xact_lock(hashtextextended(k, 7)) AS locked
FROM unnest($1::text[]) WITH ORDINALITY AS t(k, i) ORDER BY i)sql";
// In a statement of its own, after the locks: its snapshot then sees the answer of a transaction
// that held a key and committed just before this one took it.
constexpr std::string_view kFind = R"sql(
SELECT t.i, f.fingerprint, f.status, f.body, f.location
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(user_id, key, i)
JOIN idempotency_keys f ON f.user_id = t.user_id AND f.key = t.key
WHERE f.created_at > now() - make_interval(hours => $3::int))sql";
// An expired row for the same key is overwritten: the window (kReplayWindow) has passed.
constexpr std::string_view kStore = R"sql(
INSERT INTO idempotency_keys (user_id, key, fingerprint, status, body, location)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id, key) DO UPDATE
SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, body = EXCLUDED.body,
    location = EXCLUDED.location, created_at = now())sql";

// Keys past the window, through the B-tree index on created_at (0003), a chunk at a time, by row
// address (db/retention.hpp says why). A key stored again meanwhile (kStore: a new row version,
// created_at = now()) has moved to another address, so it is not deleted; `(user_id, key) IN`
// would have deleted it on the recheck. The age is checked again on the row deleted: when the
// DELETE waits for a concurrent kStore, PostgreSQL rechecks the new version against the outer
// condition only, and a ctid recheck alone has passed in some releases, which would delete a
// key stored a moment ago and let its repeat run twice.
constexpr std::string_view kDeleteOld = R"sql(
WITH deleted AS (
  DELETE FROM idempotency_keys
  WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1::bigint)
      ORDER BY created_at LIMIT $2))
    AND created_at < now() - make_interval(secs => $1::bigint)
  RETURNING 1)
SELECT count(*) AS deleted FROM deleted)sql";

// Object members in key order, at every depth.
void SortMembers(boost::json::value& value) {
  if (auto* array = value.if_array()) {
    for (auto& element : *array) SortMembers(element);
    return;
  }
  auto* object = value.if_object();
  if (!object) return;
  std::vector<std::pair<std::string, boost::json::value>> members;
  members.reserve(object->size());
  for (auto& member : *object) {
    SortMembers(member.value());
    members.emplace_back(std::string(member.key()), std::move(member.value()));
  }
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  object->clear();
  for (auto& [key, member] : members) object->emplace(key, std::move(member));
}

// The body as a fingerprint takes it: JSON with its members in key order and no insignificant
// whitespace, so that a retry whose client serialised the same values again (in another key order,
// with other spacing) is the same request; a body that is not JSON as it was sent.
std::string CanonicalBody(const std::string& body) {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec) return body;
  SortMembers(value);
  return boost::json::serialize(value);
}

std::string Fingerprint(const http::Request& request, const std::string& body) {
  const std::string material = request.method + '\n' + request.path + '\n' + body;
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

// The answer to a request whose key has a stored answer: the replay when it is the same request,
// else 422.
http::Response StoredAnswer(const db::Result& found, int row, const KeyedRequest& request) {
  if (const auto stored = found.Text(row, "fingerprint");
      stored != request.fingerprint && stored != request.sent_fingerprint) {
    return http::ProblemError(422, "This Idempotency-Key was already used with a different request",
                              {{"Idempotency-Key", "already used with a different request"}})
        .ToResponse();
  }
  http::Response replay =
      http::JsonResponse(static_cast<int>(found.Int(row, "status")), found.Text(row, "body"));
  if (auto location = found.OptionalText(row, "location")) replay.SetHeader("Location", *location);
  if (replay.status >= 400) replay.SetHeader("Content-Type", "application/problem+json; charset=utf-8");
  replay.SetHeader("Idempotent-Replayed", "true");
  Replays().Add();
  return replay;
}

}  // namespace

db::Schema IdempotencySchema() { return {"idempotency", generated::idempotency_migrations()}; }

db::RetentionSweep KeySweep() {
  db::RetentionSweep sweep;
  sweep.table = "idempotency_keys";
  sweep.delete_older_than = kDeleteOld;
  sweep.retention = kReplayWindow + std::chrono::hours(1);
  return sweep;
}

std::optional<KeyedRequest> ReadKey(const http::Request& request, std::string_view user_id) {
  // The series is there, at 0, from the first request a replay could answer: created by its first
  // replay, that replay would be lost to rate() and increase().
  (void)Replays();
  const auto header = request.Header("Idempotency-Key");
  if (!header) return std::nullopt;
  if (!IsValidKey(*header)) {
    throw http::ProblemError(422, "Idempotency-Key must be 1 to 255 visible ASCII characters",
                             {{"Idempotency-Key", "must be 1 to 255 visible ASCII characters"}});
  }
  return KeyedRequest{std::string(user_id), std::string(*header),
                      Fingerprint(request, CanonicalBody(request.body)), Fingerprint(request, request.body)};
}

std::vector<std::optional<http::Response>> Claim(db::Transaction& tx,
                                                 std::span<const KeyedRequest> requests) {
  std::vector<std::optional<http::Response>> answers(requests.size());
  if (requests.empty()) return answers;
  db::ArrayParam lock_names, users, keys;
  for (const auto& request : requests) {
    lock_names.Add(request.user_id + '\n' + request.key);
    users.Add(request.user_id);
    keys.Add(request.key);
  }
  const auto locks = tx.Exec(kTryLocks, {lock_names.Text()});
  const auto found = tx.Exec(kFind, {users.Text(), keys.Text(), std::to_string(kReplayWindow.count())});
  std::vector<int> stored_row(requests.size(), -1);
  for (int row = 0; row < found.Rows(); ++row)
    stored_row[static_cast<std::size_t>(found.Int(row, "i") - 1)] = row;
  // A key with no stored answer that appears twice in `requests`: the first runs its effect now,
  // the later ones are answered 409, as a request in another transaction would be.
  std::set<std::pair<std::string_view, std::string_view>> running;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const int row = stored_row[i];
    const bool held_elsewhere = !locks.Bool(static_cast<int>(i), "locked");
    if (!held_elsewhere && row >= 0) {
      answers[i] = StoredAnswer(found, row, requests[i]);
    } else if (held_elsewhere || !running.emplace(requests[i].user_id, requests[i].key).second) {
      answers[i] = http::ProblemError(409, "A request with this Idempotency-Key is still being processed")
                       .ToResponse();
    }
  }
  return answers;
}

void Store(db::Transaction& tx, const KeyedRequest& request, const http::Response& response) {
  if (response.status >= 500) return;
  auto location = http::FindHeader(response.headers, "Location");
  tx.Queue(kStore,
           {request.user_id, request.key, request.fingerprint, std::to_string(response.status), response.body,
            location ? std::optional<std::string>(std::string(*location)) : std::nullopt});
}

http::Response Run(db::Pool& pool, const http::Request& request, std::string_view user_id,
                   const std::function<http::Response(db::Transaction&)>& effect,
                   const std::function<bool(db::Connection&)>& applied) {
  const auto key = ReadKey(request, user_id);
  bool effect_ran = false;  // in the last attempt: a retried transaction's earlier one may have
  const auto keyed_effect = [&](db::Transaction& tx) {
    effect_ran = false;
    if (key) {
      if (auto answer = std::move(Claim(tx, std::span(&*key, 1)).front())) return std::move(*answer);
    }
    effect_ran = true;
    http::Response response = effect(tx);
    if (key) Store(tx, *key, response);
    return response;
  };
  if (!applied) return db::InTransaction(pool, keyed_effect);
  // A replayed answer wrote nothing and stands whatever became of its COMMIT; what the effect captured
  // for `applied` in an earlier, retried attempt must not judge it.
  return db::InTransactionSettled(pool, keyed_effect, [&](db::Connection& connection, const http::Response&) {
    return !effect_ran || applied(connection);
  });
}

}  // namespace kpo::idempotency
