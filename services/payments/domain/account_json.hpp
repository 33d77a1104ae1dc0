#pragma once
// Accounts and ledger entries as the public API shows them.
#include <optional>
#include <string>
#include <vector>

#include "payments/domain/account.hpp"

namespace kpo::payments {

// {"userId","balance","createdAt","updatedAt"}
std::string AccountToJson(const Account& account);
// {"items":[{"id","kind","amount","orderId","balanceAfter","createdAt"}],"next"}
std::string EntryPageToJson(const std::vector<Entry>& entries, const std::optional<std::string>& next);
// {"balance","entryId"}
std::string DepositResultToJson(core::Minor balance, const std::string& entry_id);

}  // namespace kpo::payments
