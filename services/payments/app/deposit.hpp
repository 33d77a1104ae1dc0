#pragma once
// Use case: a deposit into the caller's account.
#include <string>

#include "core/money.hpp"
#include "db/connection.hpp"

namespace kpo::payments {

struct DepositOutcome {
  enum class Status { kDeposited, kNoAccount, kOverMaximum };
  Status status = Status::kDeposited;
  core::Minor balance = 0;  // after the deposit (kDeposited)
  std::string entry_id;     // the ledger entry (kDeposited)
};

// Adds `amount` to the user's balance and the ledger under the account's row lock, inside `tx`.
// Changes nothing unless the outcome is kDeposited. Throws db::DbError.
DepositOutcome DepositToAccount(db::Transaction& tx, const std::string& user_id, core::Minor amount);

}  // namespace kpo::payments
