#pragma once
// Accounts, the ledger and payment decisions in PostgreSQL. Every method runs on the caller's
// connection or transaction.
#include <optional>
#include <string>
#include <vector>

#include "db/connection.hpp"
#include "domain/account.hpp"
#include "messaging/events.hpp"

namespace kpo::payments {

struct DepositResult {
  core::Minor balance = 0;
  std::string entry_id;
};

class AccountRepository {
 public:
  // Creates the account with balance 0; nullopt when the user already has one.
  static std::optional<Account> Create(db::Transaction& tx, const std::string& user_id);
  static std::optional<Account> Find(db::Connection& db, const std::string& user_id);

  // Adds a deposit entry and raises the balance under the account's row lock. Throws
  // http::ProblemError 404 (no account) or 422 (balance would exceed the maximum).
  static DepositResult Deposit(db::Transaction& tx, const std::string& user_id, core::Minor amount);

  // Up to `limit` entries, newest first, strictly after the entry `before` when set.
  static std::vector<Entry> ListEntries(db::Connection& db, const std::string& user_id,
                                        const std::optional<std::string>& before, int limit);

  // Decides the payment of an order once: charges it when the account has the funds, records
  // the decision and enqueues PaymentSucceeded / PaymentFailed in the outbox, all in `tx`.
  // Returns false (and changes nothing) when the order was already decided.
  static bool PayOrder(db::Transaction& tx, const OrderCreated& order, const std::string& traceparent);
};

}  // namespace kpo::payments
