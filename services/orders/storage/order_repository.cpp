#include "orders/storage/order_repository.hpp"

#include <algorithm>
#include <stdexcept>

#include "db/arrays.hpp"
#include "orders/storage/sql.hpp"

namespace kpo::orders {
namespace {

// The timeline from the row's times (migration 0006), in step order: created; published once the
// broker confirmed; the payment step and the final step once the status is final, named by it.
std::vector<TimelineEntry> RowToTimeline(const db::Result& rows, int i, const Order& order) {
  std::vector<TimelineEntry> timeline{{std::string(kStepCreated), order.created_at}};
  if (!rows.IsNull(i, "published_at"))
    timeline.push_back({std::string(kStepPublished), rows.Rfc3339(i, "published_at")});
  if (order.status == OrderStatus::kCreated) return timeline;
  const bool finished = order.status == OrderStatus::kFinished;
  if (!rows.IsNull(i, "paid_at")) {
    timeline.push_back(
        {std::string(finished ? kStepPaymentSucceeded : kStepPaymentFailed), rows.Rfc3339(i, "paid_at")});
  }
  timeline.push_back({std::string(finished ? kStepFinished : kStepCancelled), order.updated_at});
  return timeline;
}

Order RowToOrder(const db::Result& rows, int i) {
  Order order;
  order.id = rows.Text(i, "id");
  order.user_id = rows.Text(i, "user_id");
  order.amount = rows.Int(i, "amount");
  order.description = rows.Text(i, "description");
  // The schema's CHECKs allow only known values: anything else means schema and code disagree,
  // which must fail loudly rather than show a wrong status.
  const auto status = rows.Text(i, "status");
  const auto parsed = ParseOrderStatus(status);
  if (!parsed) throw std::logic_error("unknown order status in the database: " + status);
  order.status = *parsed;
  if (auto reason = rows.OptionalText(i, "failure_reason")) {
    order.failure_reason = ParseFailureReason(*reason);
    if (!order.failure_reason) throw std::logic_error("unknown failure reason in the database: " + *reason);
  }
  order.created_at = rows.Rfc3339(i, "created_at");
  order.updated_at = rows.Rfc3339(i, "updated_at");
  order.timeline = RowToTimeline(rows, i, order);
  return order;
}

// The time of the order's payment step (set once its status is final).
std::optional<std::string> PaidAt(const Order& order) {
  for (const auto& entry : order.timeline) {
    if (entry.step == kStepPaymentSucceeded || entry.step == kStepPaymentFailed) return entry.at;
  }
  return std::nullopt;
}

std::vector<OrderEvent> RowsToEvents(const db::Result& rows) {
  std::vector<OrderEvent> events;
  events.reserve(static_cast<std::size_t>(rows.Rows()));
  for (int i = 0; i < rows.Rows(); ++i) {
    events.push_back({.position = {rows.Int(i, "tx"), rows.Int(i, "id")},
                      .user_id = rows.Text(i, "user_id"),
                      .order_json = rows.Text(i, "payload")});
  }
  return events;
}

}  // namespace

void OrderRepository::InsertMany(db::Transaction& tx, std::span<const Order> orders,
                                 std::span<const std::string> order_jsons) {
  if (orders.empty()) return;
  db::ArrayParam ids, users, amounts, descriptions, times, payloads;
  for (std::size_t i = 0; i < orders.size(); ++i) {
    ids.Add(orders[i].id);
    users.Add(orders[i].user_id);
    amounts.Add(orders[i].amount);
    descriptions.Add(orders[i].description);
    times.Add(orders[i].created_at);
    payloads.Add(order_jsons[i]);
  }
  tx.Queue(sql::kInsertOrders,
           {ids.Text(), users.Text(), amounts.Text(), descriptions.Text(), times.Text(), payloads.Text()});
}

std::optional<Order> OrderRepository::FindForUser(db::Connection& db, const std::string& user_id,
                                                  const std::string& id) {
  auto rows = db.Exec(sql::kSelectOrderForUser, {id, user_id});
  if (rows.Empty()) return std::nullopt;
  return RowToOrder(rows, 0);
}

std::vector<Order> OrderRepository::ListForUser(db::Connection& db, const std::string& user_id,
                                                const std::optional<std::string>& before, int limit) {
  auto rows = db.Exec(sql::kSelectOrdersPage, {user_id, before, std::to_string(limit)});
  std::vector<Order> orders;
  orders.reserve(static_cast<std::size_t>(rows.Rows()));
  for (int i = 0; i < rows.Rows(); ++i) orders.push_back(RowToOrder(rows, i));
  return orders;
}

std::map<std::string, Order> OrderRepository::Lock(db::Transaction& tx, const std::vector<std::string>& ids) {
  db::ArrayParam array;
  for (const auto& id : ids) array.Add(id);
  auto rows = tx.Exec(sql::kLockOrders, {array.Text()});
  std::map<std::string, Order> orders;
  for (int i = 0; i < rows.Rows(); ++i) orders.emplace(rows.Text(i, "id"), RowToOrder(rows, i));
  return orders;
}

void OrderRepository::UpdateStatuses(db::Transaction& tx, const std::vector<Order>& orders) {
  if (orders.empty()) return;
  db::ArrayParam ids, statuses, reasons, times, paid;
  for (const auto& order : orders) {
    ids.Add(order.id);
    statuses.Add(ToString(order.status));
    reasons.Add(order.failure_reason ? std::optional<std::string>(ToString(*order.failure_reason))
                                     : std::nullopt);
    times.Add(order.updated_at);
    paid.Add(PaidAt(order));
  }
  tx.Queue(sql::kUpdateStatuses, {ids.Text(), statuses.Text(), reasons.Text(), times.Text(), paid.Text()});
}

void OrderRepository::RecordPublished(db::Transaction& tx, const std::vector<std::string>& order_ids,
                                      const std::vector<std::string>& sent_at) {
  if (order_ids.empty()) return;
  db::ArrayParam ids, times;
  for (std::size_t i = 0; i < order_ids.size(); ++i) {
    ids.Add(order_ids[i]);
    times.Add(sent_at.at(i));
  }
  tx.Queue(sql::kRecordPublished, {ids.Text(), times.Text()});
}

void OrderRepository::AddEvents(db::Transaction& tx,
                                const std::vector<std::pair<std::string, std::string>>& events) {
  if (events.empty()) return;
  db::ArrayParam users, payloads;
  for (const auto& [user, payload] : events) {
    users.Add(user);
    payloads.Add(payload);
  }
  tx.Queue(sql::kInsertOrderEvents, {users.Text(), payloads.Text()});
}

TransactionBounds OrderRepository::TransactionBoundsNow(db::Connection& db) {
  // One row per running transaction, in ascending order; one row with running NULL when none runs.
  auto rows = db.Exec(sql::kSelectStreamBounds);
  TransactionBounds bounds{rows.Int(0, "xmin"), rows.Int(0, "xmax"), {}};
  for (int i = 0; i < rows.Rows(); ++i) {
    if (!rows.IsNull(i, "running")) bounds.running.push_back(rows.Int(i, "running"));
  }
  return bounds;
}

std::vector<OrderEvent> OrderRepository::EventsSince(db::Connection& db, EventPosition after,
                                                     std::int64_t below, int limit) {
  return RowsToEvents(db.Exec(sql::kSelectNewEvents, {std::to_string(after.tx), std::to_string(after.id),
                                                      std::to_string(below), std::to_string(limit)}));
}

std::optional<EventPosition> OrderRepository::PositionOf(db::Connection& db, std::int64_t id) {
  auto rows = db.Exec(sql::kSelectEventPosition, {std::to_string(id)});
  if (rows.Rows() == 0) return std::nullopt;
  return EventPosition{rows.Int(0, "tx"), id};
}

std::vector<OrderEvent> OrderRepository::EventsAfter(db::Connection& db, const std::string& user_id,
                                                     EventPosition after, std::int64_t floor, int limit) {
  return RowsToEvents(
      db.Exec(sql::kSelectEventsAfter, {user_id, std::to_string(after.tx), std::to_string(after.id),
                                        std::to_string(floor), std::to_string(limit)}));
}

PipelineBacklog OrderRepository::PipelineBacklogNow(db::Connection& db, core::TimePoint now,
                                                    std::chrono::seconds window,
                                                    core::TimePoint watched_since, std::int64_t count_limit,
                                                    std::string_view replica_session) {
  // Orders placed after the one left behind that are looked at to see whether any was paid for.
  constexpr int kLaterOrdersLooked = 64;
  auto row =
      db.Exec(sql::kPipelineBacklog, {core::FormatRfc3339(now - window), std::to_string(count_limit),
                                      core::FormatRfc3339(watched_since), std::to_string(kLaterOrdersLooked),
                                      core::FormatRfc3339(now), std::string(replica_session)});
  const std::int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const auto waited_ms = [&](std::string_view created_ms_column) -> std::int64_t {
    const std::int64_t created_ms = row.Int(0, created_ms_column);
    return created_ms == 0 ? 0 : std::max<std::int64_t>(0, now_ms - created_ms);
  };
  return {.waiting = row.Int(0, "waiting"),
          .oldest_ms = waited_ms("oldest_created_ms"),
          .lag_ms = waited_ms("lag_created_ms"),
          .stalled = row.Bool(0, "stalled"),
          .replicas = row.Int(0, "replicas")};
}

db::RetentionSweep OrderEventSweep(std::chrono::seconds retention) {
  db::RetentionSweep sweep;
  sweep.table = "order_events";
  sweep.delete_older_than = sql::kDeleteOldEvents;
  sweep.retention = retention;
  return sweep;
}

}  // namespace kpo::orders
