#include "payments/app/pay_orders.hpp"

#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "messaging/outbox.hpp"
#include "payments/storage/account_repository.hpp"

namespace kpo::payments {

namespace {

// One debug line per decided order (info would add a line per order at full load); written before
// the commit, so a rolled-back batch shows its decisions again when it is applied once more.
void LogDecisions(const std::vector<OrderToPay>& orders, const std::vector<PaymentRecord>& records) {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  std::map<std::string, const std::string*> traces;
  for (const auto& [order, trace] : orders) traces.emplace(order.order_id, &trace);
  for (const auto& record : records) {
    core::LogFields fields;
    fields.AddTrace(*traces.at(record.order_id)).Add("order_id", record.order_id);
    fields.Add("decision", record.failure ? "payment_failed" : "payment_succeeded");
    if (record.failure) fields.Add("reason", ToString(*record.failure));
    core::ScopedLogFields scope(fields);
    spdlog::debug("decided {}", record.failure ? "payment_failed" : "payment_succeeded");
  }
}

}  // namespace

PaymentsDecided PayOrders(db::Transaction& tx, const std::vector<OrderToPay>& orders,
                          messaging::OutboxHandoff* relay_handoff) {
  // The claims come first: a concurrent transaction holding an order's claim makes this one wait
  // and then skip the order, so two messages for one order never both charge it.
  std::vector<PaymentClaim> claims;
  claims.reserve(orders.size());
  for (const auto& [order, trace] : orders) claims.push_back({order.order_id, order.user_id, order.amount});
  auto [claimed, balances] = AccountRepository::ClaimPayments(tx, claims);
  std::map<std::string, core::Minor> changed;

  PaymentsDecided decided;
  std::vector<NewEntry> entries;
  std::vector<PaymentRecord> records;
  std::vector<messaging::Message> events;
  const auto processed_at = core::FormatRfc3339(core::Now());
  for (const auto& [order, trace] : orders) {
    // erase: a second message for the same order in this batch finds it decided.
    if (claimed.erase(order.order_id) == 0) {
      ++decided.already_decided;
      continue;
    }
    const auto account = balances.find(order.user_id);
    const auto decision =
        DecideCharge(account == balances.end() ? std::nullopt : std::optional(account->second), order.amount);
    if (decision.balance_after) {
      const auto entry_id = core::NewUuid();
      account->second = *decision.balance_after;
      changed[order.user_id] = *decision.balance_after;
      entries.push_back({entry_id, order.user_id, EntryKind::kCharge, order.amount, order.order_id,
                         *decision.balance_after});
      records.push_back({order.order_id, std::nullopt, entry_id, processed_at});
      events.push_back(PaymentSucceededMessage(order, entry_id, processed_at, trace));
      ++decided.succeeded;
    } else {
      records.push_back({order.order_id, decision.failure, std::nullopt, processed_at});
      events.push_back(PaymentFailedMessage(order, *decision.failure, processed_at, trace));
      ++decided.failed;
    }
  }
  AccountRepository::SetBalances(tx, changed);
  AccountRepository::AppendEntries(tx, entries);
  AccountRepository::RecordDecisions(tx, records);
  messaging::EnqueueOutbox(tx, events, relay_handoff);
  LogDecisions(orders, records);
  return decided;
}

}  // namespace kpo::payments
