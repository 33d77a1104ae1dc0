#pragma once
// Orders in PostgreSQL. Every method runs on the caller's connection or transaction.
#include <optional>
#include <string>
#include <vector>

#include "db/connection.hpp"
#include "domain/order.hpp"
#include "messaging/events.hpp"

namespace kpo::orders {

// The NOTIFY channel carrying {"id","userId","order"} for every order change (live updates).
inline constexpr const char* kOrderEventsChannel = "order_events";

class OrderRepository {
 public:
  // Inserts the order, its "created" step and its OrderCreated event into the outbox, in `tx`:
  // the order is accepted if and only if its event will be published.
  static void InsertWithOutbox(db::Transaction& tx, const Order& order, const std::string& traceparent);

  // The order if it exists and belongs to `user_id`; another user's order is indistinguishable
  // from a missing one.
  static std::optional<Order> FindForUser(db::Connection& db, const std::string& user_id,
                                          const std::string& id);

  // Up to `limit` orders of the user, newest first, strictly after the order `before` when set.
  static std::vector<Order> ListForUser(db::Connection& db, const std::string& user_id,
                                        const std::optional<std::string>& before, int limit);

  // Applies a payment result: a Created order moves to Finished/Cancelled with its timeline
  // steps and a live-update notification. Returns the updated order, or nullopt when the order
  // had already left Created (nothing changes). Throws messaging::PoisonMessage for an unknown
  // order or a result that contradicts it (other user or amount).
  static std::optional<Order> ApplyPaymentResult(db::Transaction& tx, const PaymentResult& result);

  // Stored order events of the user with id > after_id (oldest first, at most 1000): what a
  // resuming live-update client missed. Each is {id, order JSON}.
  static std::vector<std::pair<std::int64_t, std::string>> EventsAfter(db::Connection& db,
                                                                       const std::string& user_id,
                                                                       std::int64_t after_id);
  // Forgets events older than a day.
  static void DeleteOldEvents(db::Connection& db);

  // Records the "published" step, at `sent_at`, for the orders whose OrderCreated the broker confirmed.
  static void RecordPublished(db::Transaction& tx, const std::vector<std::string>& order_ids,
                              const std::string& sent_at);
};

}  // namespace kpo::orders
