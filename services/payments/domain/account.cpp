#include "payments/domain/account.hpp"

#include "contract/events.hpp"

namespace kpo::payments {

std::string_view ToString(EntryKind kind) { return kind == EntryKind::kDeposit ? "deposit" : "charge"; }

std::string_view ToString(ChargeFailure failure) {
  return failure == ChargeFailure::kInsufficientFunds ? contract::kInsufficientFunds
                                                      : contract::kAccountNotFound;
}

ChargeDecision DecideCharge(std::optional<core::Minor> balance, core::Minor amount) {
  if (!balance) return {std::nullopt, ChargeFailure::kAccountNotFound};
  auto after = core::CheckedSub(*balance, amount);
  if (amount <= 0 || !after || *after < 0) return {std::nullopt, ChargeFailure::kInsufficientFunds};
  return {after, std::nullopt};
}

std::optional<core::Minor> BalanceAfterDeposit(core::Minor balance, core::Minor amount) {
  auto after = core::CheckedAdd(balance, amount);
  if (amount <= 0 || !after || *after > kMaxBalance) return std::nullopt;
  return after;
}

}  // namespace kpo::payments
