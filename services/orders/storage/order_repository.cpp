#include "orders/storage/order_repository.hpp"

#include <algorithm>
#include <stdexcept>

#include "db/arrays.hpp"
#include "orders/storage/sql.hpp"

namespace kpo::orders {
namespace {

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
  return order;
}

// In step order, whatever the stored times say: they come from different services' clocks.
void SortTimeline(std::vector<TimelineEntry>& steps) {
  std::stable_sort(steps.begin(), steps.end(),
                   [](const auto& a, const auto& b) { return StepRank(a.step) < StepRank(b.step); });
}

std::vector<OrderEvent> RowsToEvents(const db::Result& rows) {
  std::vector<OrderEvent> events;
  events.reserve(static_cast<std::size_t>(rows.Rows()));
  for (int i = 0; i < rows.Rows(); ++i) {
    events.push_back({rows.Int(i, "id"), rows.Text(i, "user_id"), rows.Text(i, "payload")});
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
  std::vector<Order> orders{RowToOrder(rows, 0)};
  LoadTimelines(db, orders);
  return std::move(orders.front());
}

std::vector<Order> OrderRepository::ListForUser(db::Connection& db, const std::string& user_id,
                                                const std::optional<std::string>& before, int limit) {
  auto rows = db.Exec(sql::kSelectOrdersPage, {user_id, before, std::to_string(limit)});
  std::vector<Order> orders;
  for (int i = 0; i < rows.Rows(); ++i) orders.push_back(RowToOrder(rows, i));
  LoadTimelines(db, orders);
  return orders;
}

std::map<std::string, Order> OrderRepository::Lock(db::Transaction& tx, const std::vector<std::string>& ids) {
  db::ArrayParam array;
  for (const auto& id : ids) array.Add(id);
  auto rows = tx.Exec(sql::kLockOrders, {array.Text()});
  std::map<std::string, Order> orders;
  for (int i = 0; i < rows.Rows(); ++i) {
    auto found = orders.find(rows.Text(i, "id"));
    if (found == orders.end()) found = orders.emplace(rows.Text(i, "id"), RowToOrder(rows, i)).first;
    if (auto step = rows.OptionalText(i, "step"))
      found->second.timeline.push_back({*step, rows.Rfc3339(i, "at")});
  }
  for (auto& [id, order] : orders) SortTimeline(order.timeline);
  return orders;
}

void OrderRepository::UpdateStatuses(db::Transaction& tx, const std::vector<Order>& orders) {
  if (orders.empty()) return;
  db::ArrayParam ids, statuses, reasons, times;
  for (const auto& order : orders) {
    ids.Add(order.id);
    statuses.Add(ToString(order.status));
    reasons.Add(order.failure_reason ? std::optional<std::string>(ToString(*order.failure_reason))
                                     : std::nullopt);
    times.Add(order.updated_at);
  }
  tx.Queue(sql::kUpdateStatuses, {ids.Text(), statuses.Text(), reasons.Text(), times.Text()});
}

void OrderRepository::AddSteps(db::Transaction& tx,
                               const std::vector<std::pair<std::string, TimelineEntry>>& steps) {
  if (steps.empty()) return;
  db::ArrayParam ids, names, times;
  for (const auto& [order_id, step] : steps) {
    ids.Add(order_id);
    names.Add(step.step);
    times.Add(step.at);
  }
  tx.Queue(sql::kInsertSteps, {ids.Text(), names.Text(), times.Text()});
}

void OrderRepository::RecordPublished(db::Transaction& tx, const std::vector<std::string>& order_ids,
                                      const std::string& sent_at) {
  if (order_ids.empty()) return;
  db::ArrayParam ids;
  for (const auto& id : order_ids) ids.Add(id);
  tx.Queue(sql::kInsertPublishedSteps, {ids.Text(), sent_at});
}

namespace {

std::string TimelineIds(const std::vector<Order>& orders) {
  db::ArrayParam ids;
  for (const auto& order : orders) ids.Add(order.id);
  return ids.Text();
}

void AttachTimelines(const db::Result& rows, std::vector<Order>& orders) {
  std::map<std::string, std::vector<TimelineEntry>> by_order;
  for (int i = 0; i < rows.Rows(); ++i) {
    by_order[rows.Text(i, "order_id")].push_back({rows.Text(i, "step"), rows.Rfc3339(i, "at")});
  }
  for (auto& order : orders) {
    order.timeline = std::move(by_order[order.id]);
    SortTimeline(order.timeline);
  }
}

}  // namespace

void OrderRepository::LoadTimelines(db::Connection& db, std::vector<Order>& orders) {
  if (!orders.empty()) AttachTimelines(db.Exec(sql::kSelectTimelines, {TimelineIds(orders)}), orders);
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

std::vector<std::pair<std::int64_t, std::string>> OrderRepository::EventsAfter(db::Connection& db,
                                                                               const std::string& user_id,
                                                                               std::int64_t after_id,
                                                                               int limit) {
  auto rows = db.Exec(sql::kSelectEventsAfter, {user_id, std::to_string(after_id), std::to_string(limit)});
  std::vector<std::pair<std::int64_t, std::string>> events;
  for (int i = 0; i < rows.Rows(); ++i) events.emplace_back(rows.Int(i, "id"), rows.Text(i, "payload"));
  return events;
}

std::vector<OrderEvent> OrderRepository::EventsSince(db::Connection& db, std::int64_t after_id, int limit) {
  return RowsToEvents(db.Exec(sql::kSelectNewEvents, {std::to_string(after_id), std::to_string(limit)}));
}

std::vector<OrderEvent> OrderRepository::EventsWithIds(db::Connection& db,
                                                       const std::vector<std::int64_t>& ids) {
  db::ArrayParam array;
  for (auto id : ids) array.Add(id);
  return RowsToEvents(db.Exec(sql::kSelectEventsById, {array.Text()}));
}

std::int64_t OrderRepository::LastEventId(db::Connection& db) {
  return db.Exec(sql::kSelectLastEventId).Int(0, "id");
}

std::int64_t OrderRepository::DeleteEventsOlderThan(db::Connection& db, std::chrono::seconds retention,
                                                    int limit) {
  return db.Exec(sql::kDeleteOldEvents, {std::to_string(retention.count()), std::to_string(limit)})
      .Int(0, "deleted");
}

PipelineBacklog OrderRepository::PipelineBacklogNow(db::Connection& db, std::chrono::seconds window,
                                                    std::int64_t count_limit) {
  auto row = db.Exec(sql::kPipelineBacklog, {std::to_string(window.count()), std::to_string(count_limit)});
  return {.waiting = row.Int(0, "waiting"), .oldest_ms = row.Int(0, "oldest_ms")};
}

}  // namespace kpo::orders
