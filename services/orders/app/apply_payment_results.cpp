#include "orders/app/apply_payment_results.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "orders/domain/order_json.hpp"
#include "orders/storage/order_repository.hpp"

namespace kpo::orders {

ResultsApplied ApplyPaymentResults(db::Transaction& tx, const std::vector<PaymentResult>& results) {
  std::vector<std::string> ids;
  ids.reserve(results.size());
  for (const auto& result : results) ids.push_back(result.order_id);
  auto orders = OrderRepository::Lock(tx, ids);

  ResultsApplied applied;
  std::vector<std::string> moved;  // ids, in the order they moved
  const auto now = core::FormatRfc3339(core::Now());
  for (const auto& result : results) {
    const auto found = orders.find(result.order_id);
    if (found == orders.end()) {
      applied.outcomes.push_back(ResultOutcome::kUnknownOrder);
      continue;
    }
    Order& order = found->second;
    if (order.user_id != result.user_id || order.amount != result.amount) {
      applied.outcomes.push_back(ResultOutcome::kContradicts);
      continue;
    }
    // A second result for the same order in this batch sees the first one's effect.
    if (ApplyPaymentOutcome(order, result.outcome, result.processed_at, now).empty()) {
      applied.outcomes.push_back(ResultOutcome::kAlreadyFinal);
      continue;
    }
    applied.outcomes.push_back(ResultOutcome::kApplied);
    moved.push_back(order.id);
  }
  if (std::any_of(applied.outcomes.begin(), applied.outcomes.end(), BreaksContract)) return applied;

  for (const auto& id : moved) applied.changed.push_back(orders.at(id));
  OrderRepository::UpdateStatuses(tx, applied.changed);  // the new steps too: they live in the row
  std::vector<std::pair<std::string, std::string>> events;
  events.reserve(applied.changed.size());
  for (const auto& order : applied.changed) events.emplace_back(order.user_id, OrderToJson(order));
  OrderRepository::AddEvents(tx, events);
  return applied;
}

}  // namespace kpo::orders
