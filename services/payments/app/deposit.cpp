#include "payments/app/deposit.hpp"

#include "core/ids.hpp"
#include "payments/domain/account.hpp"
#include "payments/storage/account_repository.hpp"

namespace kpo::payments {

DepositOutcome DepositToAccount(db::Transaction& tx, const std::string& user_id, core::Minor amount) {
  const auto balances = AccountRepository::LockBalances(tx, {user_id});
  const auto account = balances.find(user_id);
  if (account == balances.end()) return {DepositOutcome::Status::kNoAccount, 0, {}};
  const auto after = BalanceAfterDeposit(account->second, amount);
  if (!after) return {DepositOutcome::Status::kOverMaximum, 0, {}};
  DepositOutcome outcome{DepositOutcome::Status::kDeposited, *after, core::NewUuid()};
  AccountRepository::SetBalances(tx, {{user_id, *after}});
  AccountRepository::AppendEntries(
      tx, {{outcome.entry_id, user_id, EntryKind::kDeposit, amount, std::nullopt, *after}});
  return outcome;
}

}  // namespace kpo::payments
