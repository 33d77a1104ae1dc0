#pragma once
// Accounts, the ledger and payment decisions in PostgreSQL: SQL and row mapping only; the rules
// live in domain/ and the operations in app/. Every method runs on the caller's connection or
// transaction and throws db::DbError on failure.
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "db/connection.hpp"
#include "payments/domain/account.hpp"

namespace kpo::payments {

// One ledger line to append; `id` is fresh.
struct NewEntry {
  std::string id;
  std::string user_id;
  EntryKind kind = EntryKind::kDeposit;
  core::Minor amount = 0;
  std::optional<std::string> order_id;
  core::Minor balance_after = 0;
};

// The decision recorded for an order.
struct PaymentRecord {
  std::string order_id;
  std::optional<ChargeFailure> failure;  // nullopt: succeeded
  std::optional<std::string> entry_id;   // the charge, when it succeeded
  std::string processed_at;              // RFC 3339
};

// An order whose payment is to be claimed.
struct PaymentClaim {
  std::string order_id;
  std::string user_id;
  core::Minor amount = 0;
};

struct PaymentsClaimed {
  std::unordered_set<std::string> orders;
  std::map<std::string, core::Minor> balances;  // by user id; a user without an account is absent
};

class AccountRepository {
 public:
  // Creates the account with balance 0; nullopt when the user already has one.
  static std::optional<Account> Create(db::Transaction& tx, const std::string& user_id);
  static std::optional<Account> Find(db::Connection& db, const std::string& user_id);

  // Locks the accounts of `user_ids` (in a deadlock-free order) and returns their balances; a
  // user without an account is absent from the map.
  static std::map<std::string, core::Minor> LockBalances(db::Transaction& tx,
                                                         const std::vector<std::string>& user_ids);
  // Sets the balances of locked accounts.
  static void SetBalances(db::Transaction& tx, const std::map<std::string, core::Minor>& balances);
  // Appends ledger entries, in order.
  static void AppendEntries(db::Transaction& tx, const std::vector<NewEntry>& entries);

  // Whether the ledger holds the entry with this id.
  static bool HasEntry(db::Connection& db, const std::string& id);
  // Up to `limit` entries, newest first, strictly after the entry `before` when set.
  static std::vector<Entry> ListEntries(db::Connection& db, const std::string& user_id,
                                        const std::optional<std::string>& before, int limit);

  // Claims the decision of each order and locks the accounts of the orders claimed (as
  // LockBalances does). `orders` holds the order ids claimed now (those decided before, or claimed
  // by a concurrent transaction that committed, are absent); `balances` those accounts' balances.
  static PaymentsClaimed ClaimPayments(db::Transaction& tx, const std::vector<PaymentClaim>& claims);
  // Records the decisions of claimed orders (after their entries were appended).
  static void RecordDecisions(db::Transaction& tx, const std::vector<PaymentRecord>& records);
};

}  // namespace kpo::payments
