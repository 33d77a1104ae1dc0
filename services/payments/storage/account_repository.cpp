#include "storage/account_repository.hpp"

#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "http/problem.hpp"
#include "messaging/outbox.hpp"
#include "storage/sql.hpp"

namespace kpo::payments {
namespace {

Account RowToAccount(const db::Result& rows) {
  return Account{rows.Text(0, "user_id"), rows.Int(0, "balance"), rows.Rfc3339(0, "created_at"),
                 rows.Rfc3339(0, "updated_at")};
}

std::optional<core::Minor> LockedBalance(db::Transaction& tx, const std::string& user_id) {
  auto rows = tx.Exec(sql::kLockAccount, {user_id});
  if (rows.Empty()) return std::nullopt;
  return rows.Int(0, "balance");
}

void AppendEntry(db::Transaction& tx, const std::string& entry_id, const std::string& user_id, EntryKind kind,
                 core::Minor amount, const std::optional<std::string>& order_id, core::Minor balance_after) {
  tx.Exec(sql::kSetBalance, {user_id, std::to_string(balance_after)});
  tx.Exec(sql::kInsertEntry, {entry_id, user_id, std::string(ToString(kind)), std::to_string(amount),
                              order_id, std::to_string(balance_after)});
}

}  // namespace

std::optional<Account> AccountRepository::Create(db::Transaction& tx, const std::string& user_id) {
  auto rows = tx.Exec(sql::kInsertAccount, {user_id});
  if (rows.Empty()) return std::nullopt;
  return RowToAccount(rows);
}

std::optional<Account> AccountRepository::Find(db::Connection& db, const std::string& user_id) {
  auto rows = db.Exec(sql::kSelectAccount, {user_id});
  if (rows.Empty()) return std::nullopt;
  return RowToAccount(rows);
}

DepositResult AccountRepository::Deposit(db::Transaction& tx, const std::string& user_id,
                                         core::Minor amount) {
  const auto balance = LockedBalance(tx, user_id);
  if (!balance) throw http::ProblemError(404, "No account: create one with POST /api/accounts first");
  const auto after = BalanceAfterDeposit(*balance, amount);
  if (!after) {
    throw http::ProblemError(422, "The deposit would take the balance over its maximum",
                             {{"amount", "would take the balance over its maximum"}});
  }
  DepositResult result{*after, core::NewUuid()};
  AppendEntry(tx, result.entry_id, user_id, EntryKind::kDeposit, amount, std::nullopt, *after);
  return result;
}

std::vector<Entry> AccountRepository::ListEntries(db::Connection& db, const std::string& user_id,
                                                  const std::optional<std::string>& before, int limit) {
  auto rows = db.Exec(sql::kSelectEntriesPage, {user_id, before, std::to_string(limit)});
  std::vector<Entry> entries;
  for (int i = 0; i < rows.Rows(); ++i) {
    entries.push_back(Entry{rows.Text(i, "id"),
                            rows.Text(i, "kind") == "charge" ? EntryKind::kCharge : EntryKind::kDeposit,
                            rows.Int(i, "amount"), rows.OptionalText(i, "order_id"),
                            rows.Int(i, "balance_after"), rows.Rfc3339(i, "created_at")});
  }
  return entries;
}

bool AccountRepository::PayOrder(db::Transaction& tx, const OrderCreated& order,
                                 const std::string& traceparent) {
  // The claim comes first: a concurrent claim for the same order (another message id) waits for
  // this transaction and then finds the order decided.
  if (tx.Exec(sql::kClaimOrderPayment, {order.order_id, order.user_id, std::to_string(order.amount)})
          .AffectedRows() == 0) {
    spdlog::info("order {} was already decided; nothing to charge", order.order_id);
    return false;
  }
  const auto decision = DecideCharge(LockedBalance(tx, order.user_id), order.amount);
  const auto processed_at = core::FormatRfc3339(core::Now());
  if (decision.balance_after) {
    const auto entry_id = core::NewUuid();
    AppendEntry(tx, entry_id, order.user_id, EntryKind::kCharge, order.amount, order.order_id,
                *decision.balance_after);
    tx.Exec(sql::kRecordDecision, {order.order_id, "succeeded", std::nullopt, entry_id, processed_at});
    messaging::EnqueueOutbox(tx, PaymentSucceededMessage(order, entry_id, processed_at, traceparent));
  } else {
    const std::string reason(ToString(*decision.failure));
    tx.Exec(sql::kRecordDecision, {order.order_id, "failed", reason, std::nullopt, processed_at});
    messaging::EnqueueOutbox(tx, PaymentFailedMessage(order, *decision.failure, processed_at, traceparent));
  }
  return true;
}

}  // namespace kpo::payments
