#include "orders/messaging/payment_result_consumer.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <string>

#include "core/clock.hpp"
#include "messaging/inbox.hpp"
#include "observability/metrics.hpp"
#include "orders/app/apply_payment_results.hpp"
#include "orders/messaging/events.hpp"

namespace kpo::orders {
namespace {

// Orders that reached a final status, by status and reason: what an operator asks first (how many
// finish, how many are cancelled and why), which messages_consumed_total cannot tell. The first call
// registers every series (RegisterSettlementMetrics).
observability::Counter& Settled(OrderStatus status, std::optional<FailureReason> reason) {
  auto& registry = observability::Registry::Global();
  const auto counter = [&registry](std::string_view status_name, std::string_view reason_name) -> auto& {
    return registry.GetCounter("orders_settled_total",
                               "Orders that reached a final status, by status and reason.",
                               fmt::format("status=\"{}\",reason=\"{}\"", status_name, reason_name));
  };
  static auto& finished = counter(ToString(OrderStatus::kFinished), "");
  static auto& no_funds =
      counter(ToString(OrderStatus::kCancelled), ToString(FailureReason::kInsufficientFunds));
  static auto& no_account =
      counter(ToString(OrderStatus::kCancelled), ToString(FailureReason::kAccountNotFound));
  if (status == OrderStatus::kFinished || !reason) return finished;
  return *reason == FailureReason::kInsufficientFunds ? no_funds : no_account;
}

// From an order's creation to its final status (the order's own times: created_at, updated_at).
observability::Histogram& CreatedToFinal() {
  static auto& histogram = observability::Registry::Global().GetHistogram(
      "orders_created_to_final_seconds",
      "From an order's creation to its final status (Finished or Cancelled).");
  return histogram;
}

// Counts the orders a batch moved once its transaction has committed: a rolled-back attempt (a
// rejection, a lost connection) is applied again and must not count twice.
void CountWhenCommitted(db::Transaction& tx, const std::vector<Order>& changed) {
  // Only what is needed is kept; the times are parsed after the commit, not while the batch's
  // transaction holds its orders' row locks.
  struct Settlement {
    observability::Counter* counter;
    std::string created_at;
    std::string final_at;
  };
  std::vector<Settlement> settled;
  settled.reserve(changed.size());
  for (const auto& order : changed) {
    settled.push_back({&Settled(order.status, order.failure_reason), order.created_at, order.updated_at});
  }
  tx.AfterCommit([settled = std::move(settled)] {
    for (const auto& one : settled) {
      one.counter->Add();
      const auto created = core::ParseRfc3339(one.created_at);
      const auto final = core::ParseRfc3339(one.final_at);
      if (created && final) {
        CreatedToFinal().Observe(std::max(0.0, std::chrono::duration<double>(*final - *created).count()));
      }
    }
  });
}

const char* Why(ResultOutcome outcome) {
  return outcome == ResultOutcome::kUnknownOrder ? "payment result for an unknown order"
                                                 : "payment result does not match its order (user or amount)";
}

// One debug line per order the batch moved (info would add a line per order at full load), with
// the trace of the result that moved it.
void LogChanges(const std::vector<Order>& changed, const std::vector<PaymentResult>& results,
                const std::vector<std::size_t>& result_index,
                const std::vector<const messaging::Delivery*>& fresh) {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  std::map<std::string, const messaging::Delivery*> delivery_of;
  for (std::size_t k = 0; k < results.size(); ++k)
    delivery_of.emplace(results[k].order_id, fresh[result_index[k]]);
  for (const auto& order : changed) {
    const auto found = delivery_of.find(order.id);
    core::LogFields fields =
        found != delivery_of.end() ? messaging::MessageLogFields(found->second->message) : core::LogFields();
    if (found == delivery_of.end()) fields.Add("order_id", order.id);
    fields.Add("decision", ToString(order.status));
    core::ScopedLogFields scope(fields);
    spdlog::debug("order {} is now {}", order.id, ToString(order.status));
  }
}

}  // namespace

void RegisterSettlementMetrics() {
  Settled(OrderStatus::kFinished, std::nullopt);
  CreatedToFinal();
}

messaging::QueueSpec PaymentResultsQueue() {
  return messaging::QueueSpec{
      kPaymentResultsQueue,
      std::string(contract::kPaymentsExchange),
      {std::string(contract::kPaymentSucceededKey), std::string(contract::kPaymentFailedKey)},
      5};
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): std::jthread hands the token by value
std::vector<messaging::Disposition> HandlePaymentResults(db::Pool& pool,
                                                         const std::vector<messaging::Delivery>& batch,
                                                         std::stop_token stop) {
  return messaging::ProcessBatch(
      pool, batch,
      [](db::Transaction& tx, const std::vector<const messaging::Delivery*>& fresh) {
        std::vector<messaging::Rejection> rejections;
        std::vector<PaymentResult> results;
        std::vector<std::size_t> result_index;  // results[k] came from fresh[result_index[k]]
        for (std::size_t i = 0; i < fresh.size(); ++i) {
          // The edge of one message: a result that breaks the contract is dead-lettered alone.
          try {
            results.push_back(ParsePaymentResult(*fresh[i]));
            result_index.push_back(i);
          } catch (const messaging::PoisonMessage& poison) {
            rejections.push_back({i, poison.what()});
          }
        }
        if (!rejections.empty()) return rejections;
        const auto applied = ApplyPaymentResults(tx, results);
        for (std::size_t k = 0; k < results.size(); ++k) {
          if (BreaksContract(applied.outcomes[k]))
            rejections.push_back({result_index[k], Why(applied.outcomes[k])});
        }
        LogChanges(applied.changed, results, result_index, fresh);
        if (rejections.empty()) CountWhenCommitted(tx, applied.changed);
        return rejections;
      },
      stop);
}

}  // namespace kpo::orders
