#pragma once
// Accounts and their ledger: the balance always equals deposits − charges and never goes below
// zero. The rules here are pure; the application layer (app/) applies them to accounts it has locked
// (storage's statements take the row locks).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/money.hpp"

namespace kpo::payments {

// The largest balance an account may hold (no overflow in 64-bit minor units).
inline constexpr core::Minor kMaxBalance = 9'000'000'000'000'000'000;

struct Account {
  std::string user_id;
  core::Minor balance = 0;
  std::string created_at;  // RFC 3339 UTC
  std::string updated_at;
};

enum class EntryKind { kDeposit, kCharge };
std::string_view ToString(EntryKind kind);

struct Entry {
  std::string id;
  EntryKind kind = EntryKind::kDeposit;
  core::Minor amount = 0;
  std::optional<std::string> order_id;  // charges only
  core::Minor balance_after = 0;
  std::string created_at;
};

// Why an order could not be paid; the names are the contract's failure reasons.
enum class ChargeFailure { kInsufficientFunds, kAccountNotFound };
std::string_view ToString(ChargeFailure failure);

struct ChargeDecision {
  std::optional<core::Minor> balance_after;  // set when the charge goes through
  std::optional<ChargeFailure> failure;      // set otherwise
};

// Charges `amount` against `balance` (nullopt: no account). Never produces a negative balance.
ChargeDecision DecideCharge(std::optional<core::Minor> balance, core::Minor amount);

// The balance after depositing `amount`, or nullopt when it would exceed kMaxBalance.
std::optional<core::Minor> BalanceAfterDeposit(core::Minor balance, core::Minor amount);

}  // namespace kpo::payments
