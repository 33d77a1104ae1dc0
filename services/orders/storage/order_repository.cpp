#include "storage/order_repository.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "core/log.hpp"
#include "domain/order_json.hpp"
#include "messaging/inbox.hpp"
#include "messaging/outbox.hpp"
#include "storage/sql.hpp"

namespace kpo::orders {
namespace {

Order RowToOrder(const db::Result& rows, int i) {
  Order order;
  order.id = rows.Text(i, "id");
  order.user_id = rows.Text(i, "user_id");
  order.amount = rows.Int(i, "amount");
  order.description = rows.Text(i, "description");
  order.status = ParseOrderStatus(rows.Text(i, "status")).value_or(OrderStatus::kCreated);
  if (auto reason = rows.OptionalText(i, "failure_reason"))
    order.failure_reason = ParseFailureReason(*reason);
  order.created_at = rows.Rfc3339(i, "created_at");
  order.updated_at = rows.Rfc3339(i, "updated_at");
  return order;
}

std::string UuidArray(const std::vector<std::string>& ids) {
  std::string out = "{";
  for (const auto& id : ids) out += (out.size() > 1 ? "," : "") + id;
  return out + "}";
}

void LoadTimelines(db::Connection& db, std::vector<Order>& orders) {
  if (orders.empty()) return;
  std::vector<std::string> ids;
  for (const auto& order : orders) ids.push_back(order.id);
  auto rows = db.Exec(sql::kSelectTimelines, {UuidArray(ids)});
  std::map<std::string, std::vector<TimelineEntry>> by_order;
  for (int i = 0; i < rows.Rows(); ++i) {
    by_order[rows.Text(i, "order_id")].push_back({rows.Text(i, "step"), rows.Rfc3339(i, "at")});
  }
  for (auto& order : orders) {
    auto& steps = by_order[order.id];
    std::stable_sort(steps.begin(), steps.end(),
                     [](const auto& a, const auto& b) { return StepRank(a.step) < StepRank(b.step); });
    order.timeline = std::move(steps);
  }
}

void NotifyChange(db::Transaction& tx, const Order& order) {
  const auto payload = OrderToJson(order);
  const auto id = tx.Exec(sql::kInsertOrderEvent, {order.user_id, payload}).Text(0, "id");
  tx.Exec(sql::kNotifyOrderEvent,
          {R"({"id":)" + id + R"(,"userId":")" + order.user_id + R"(","order":)" + payload + "}"});
}

}  // namespace

void OrderRepository::InsertWithOutbox(db::Transaction& tx, const Order& order,
                                       const std::string& traceparent) {
  tx.Exec(sql::kInsertOrder,
          {order.id, order.user_id, std::to_string(order.amount), order.description, order.created_at});
  tx.Exec(sql::kInsertStep, {order.id, std::string(kStepCreated), order.created_at});
  messaging::EnqueueOutbox(tx, OrderCreatedMessage(order, traceparent));
  NotifyChange(tx, order);
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

std::optional<Order> OrderRepository::ApplyPaymentResult(db::Transaction& tx, const PaymentResult& result) {
  auto rows = tx.Exec(sql::kLockOrder, {result.order_id});
  if (rows.Empty()) throw messaging::PoisonMessage("payment result for unknown order " + result.order_id);
  auto order = RowToOrder(rows, 0);
  if (order.user_id != result.user_id || order.amount != result.amount) {
    throw messaging::PoisonMessage("payment result does not match order " + order.id);
  }
  auto next = NextStatus(order.status, result.outcome);
  if (!next) {
    spdlog::info("order {} is already {}; payment result ignored", order.id, ToString(order.status));
    return std::nullopt;
  }
  const auto now = core::FormatRfc3339(core::Now());
  const auto reason =
      result.outcome.succeeded ? std::nullopt : std::optional<std::string>(ToString(*result.outcome.reason));
  tx.Exec(sql::kUpdateStatus, {order.id, std::string(ToString(*next)), reason, now});
  tx.Exec(sql::kInsertStep,
          {order.id, std::string(result.outcome.succeeded ? kStepPaymentSucceeded : kStepPaymentFailed),
           result.processed_at});
  tx.Exec(sql::kInsertStep,
          {order.id, std::string(*next == OrderStatus::kFinished ? kStepFinished : kStepCancelled), now});
  order.status = *next;
  order.failure_reason = result.outcome.reason;
  order.updated_at = now;
  std::vector<Order> reloaded{order};
  LoadTimelines(tx.Conn(), reloaded);
  NotifyChange(tx, reloaded.front());
  return reloaded.front();
}

std::vector<std::pair<std::int64_t, std::string>> OrderRepository::EventsAfter(db::Connection& db,
                                                                               const std::string& user_id,
                                                                               std::int64_t after_id) {
  auto rows = db.Exec(sql::kSelectEventsAfter, {user_id, std::to_string(after_id)});
  std::vector<std::pair<std::int64_t, std::string>> events;
  for (int i = 0; i < rows.Rows(); ++i) events.emplace_back(rows.Int(i, "id"), rows.Text(i, "payload"));
  return events;
}

void OrderRepository::DeleteOldEvents(db::Connection& db) { db.Exec(sql::kDeleteOldEvents); }

void OrderRepository::RecordPublished(db::Transaction& tx, const std::vector<std::string>& order_ids,
                                      const std::string& sent_at) {
  if (!order_ids.empty()) tx.Exec(sql::kInsertPublishedSteps, {UuidArray(order_ids), sent_at});
}

}  // namespace kpo::orders
