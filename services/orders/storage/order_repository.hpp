#pragma once
// Orders in PostgreSQL: SQL and row mapping only; the rules live in domain/ and the operations
// in app/. Every method runs on the caller's connection or transaction and throws db::DbError.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "db/connection.hpp"
#include "db/retention.hpp"
#include "orders/domain/admission_policy.hpp"
#include "orders/domain/order.hpp"
#include "orders/storage/order_event.hpp"

namespace kpo::orders {

class OrderRepository {
 public:
  // Inserts new orders and their change events (`order_jsons[i]` is the JSON
  // of `orders[i]`), in one statement.
  static void InsertMany(db::Transaction& tx, std::span<const Order> orders,
                         std::span<const std::string> order_jsons);
  static void Insert(db::Transaction& tx, const Order& order, const std::string& order_json) {
    InsertMany(tx, std::span(&order, 1), std::span(&order_json, 1));
  }

  // The order if it exists and belongs to `user_id`; another user's order is indistinguishable
  // from a missing one.
  static std::optional<Order> FindForUser(db::Connection& db, const std::string& user_id,
                                          const std::string& id);

  // Up to `limit` orders of the user, newest first, strictly after the order `before` when set.
  static std::vector<Order> ListForUser(db::Connection& db, const std::string& user_id,
                                        const std::optional<std::string>& before, int limit);

  // Locks the orders with these ids (those that exist, in id order) and reads them with their
  // timelines.
  static std::map<std::string, Order> Lock(db::Transaction& tx, const std::vector<std::string>& ids);
  // Stores status, failure reason, updated_at (the final step's time) and the payment step's time of
  // orders that are still Created in the database. A timeline is stored as the times in its order's
  // row, so this records the steps ApplyPaymentOutcome appended.
  static void UpdateStatuses(db::Transaction& tx, const std::vector<Order>& orders);
  // Records the "published" step, each order at its `sent_at` (same index), for the orders whose
  // OrderCreated the broker confirmed (an order keeps its first record); at the payment result's time
  // instead when one is recorded earlier (a repeated publish). One statement: locks the orders in id
  // order, as Lock does.
  static void RecordPublished(db::Transaction& tx, const std::vector<std::string>& order_ids,
                              const std::vector<std::string>& sent_at);

  // Stores change events: (user id, order JSON).
  static void AddEvents(db::Transaction& tx, const std::vector<std::pair<std::string, std::string>>& events);
  static TransactionBounds TransactionBoundsNow(db::Connection& db);
  // Events of every user after `after` written by transactions below `below`, in position order, at
  // most `limit`.
  static std::vector<OrderEvent> EventsSince(db::Connection& db, EventPosition after, std::int64_t below,
                                             int limit);
  // The position of the event with this id, if it is still stored.
  static std::optional<EventPosition> PositionOf(db::Connection& db, std::int64_t id);
  // What a resuming client missed: the user's events after `after`, in position order, at most
  // `limit`, of transactions below the current snapshot's xmin or below `floor` if that is higher.
  static std::vector<OrderEvent> EventsAfter(db::Connection& db, const std::string& user_id,
                                             EventPosition after, std::int64_t floor, int limit);

  // Orders created within `window` before `now` still waiting for their payment, counted up to
  // `count_limit`, the milliseconds the oldest of them has waited and the pipeline's lag (how long
  // the order that a tenth of the counted ones, rounded down, waited longer than has waited; 0 when
  // none waits); and
  // whether the pipeline is stalled (admission_policy.hpp), judged by orders created since
  // `watched_since` only; and how many sessions named `replica_session` (each replica's
  // admission, the caller's included) are connected to the database.
  static PipelineBacklog PipelineBacklogNow(db::Connection& db, core::TimePoint now,
                                            std::chrono::seconds window, core::TimePoint watched_since,
                                            std::int64_t count_limit, std::string_view replica_session);
};

// The sweep that forgets change events older than `retention` (kept that long for resuming
// streams), a chunk a second on a thread of its own (service::StartHousekeeping); database_url
// left for the service.
db::RetentionSweep OrderEventSweep(std::chrono::seconds retention);

}  // namespace kpo::orders
