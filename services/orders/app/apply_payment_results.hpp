#pragma once
// Use case: apply a batch of payment results (the payment-results consumer's work).
#include <string>
#include <vector>

#include "db/connection.hpp"
#include "orders/domain/order.hpp"
#include "orders/messaging/events.hpp"

namespace kpo::orders {

enum class ResultOutcome {
  kApplied,       // the order moved to Finished / Cancelled
  kAlreadyFinal,  // the order had left Created (a duplicate or late result): nothing changes
  kUnknownOrder,  // no such order: the result breaks the contract
  kContradicts,   // the result names another user or amount than the order: breaks the contract
};

struct ResultsApplied {
  std::vector<ResultOutcome> outcomes;  // one per result, in order
  std::vector<Order> changed;           // the orders that moved, with their whole timelines
};

// Whether an outcome means the result can never be applied.
inline bool BreaksContract(ResultOutcome outcome) {
  return outcome == ResultOutcome::kUnknownOrder || outcome == ResultOutcome::kContradicts;
}

// Applies `results` in order inside `tx` under the orders' row locks: a Created order moves to
// Finished / Cancelled with its timeline steps and a change event. When any result breaks the
// contract, nothing is written (the outcomes say which). Throws db::DbError.
ResultsApplied ApplyPaymentResults(db::Transaction& tx, const std::vector<PaymentResult>& results);

}  // namespace kpo::orders
