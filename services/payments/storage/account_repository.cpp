#include "payments/storage/account_repository.hpp"

#include <stdexcept>

#include "db/arrays.hpp"
#include "payments/storage/sql.hpp"

namespace kpo::payments {
namespace {

Account RowToAccount(const db::Result& rows) {
  return Account{rows.Text(0, "user_id"), rows.Int(0, "balance"), rows.Rfc3339(0, "created_at"),
                 rows.Rfc3339(0, "updated_at")};
}

EntryKind ParseEntryKind(const std::string& text) {
  if (text == "charge") return EntryKind::kCharge;
  if (text == "deposit") return EntryKind::kDeposit;
  // The schema allows only the two; anything else means the schema and the code disagree.
  throw std::logic_error("unknown entry kind in the database: " + text);
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

std::map<std::string, core::Minor> AccountRepository::LockBalances(db::Transaction& tx,
                                                                   const std::vector<std::string>& user_ids) {
  db::ArrayParam ids;
  for (const auto& id : user_ids) ids.Add(id);
  auto rows = tx.Exec(sql::kLockAccounts, {ids.Text()});
  std::map<std::string, core::Minor> balances;
  for (int i = 0; i < rows.Rows(); ++i) balances.emplace(rows.Text(i, "user_id"), rows.Int(i, "balance"));
  return balances;
}

void AccountRepository::SetBalances(db::Transaction& tx, const std::map<std::string, core::Minor>& balances) {
  if (balances.empty()) return;
  db::ArrayParam users, amounts;
  for (const auto& [user, balance] : balances) {
    users.Add(user);
    amounts.Add(balance);
  }
  tx.Queue(sql::kSetBalances, {users.Text(), amounts.Text()});
}

void AccountRepository::AppendEntries(db::Transaction& tx, const std::vector<NewEntry>& entries) {
  if (entries.empty()) return;
  db::ArrayParam ids, users, kinds, amounts, orders, balances;
  for (const auto& entry : entries) {
    ids.Add(entry.id);
    users.Add(entry.user_id);
    kinds.Add(ToString(entry.kind));
    amounts.Add(entry.amount);
    orders.Add(entry.order_id);
    balances.Add(entry.balance_after);
  }
  tx.Queue(sql::kInsertEntries,
           {ids.Text(), users.Text(), kinds.Text(), amounts.Text(), orders.Text(), balances.Text()});
}

bool AccountRepository::HasEntry(db::Connection& db, const std::string& id) {
  return db.Exec(sql::kEntryExists, {id}).Bool(0, "found");
}

std::vector<Entry> AccountRepository::ListEntries(db::Connection& db, const std::string& user_id,
                                                  const std::optional<std::string>& before, int limit) {
  auto rows = db.Exec(sql::kSelectEntriesPage, {user_id, before, std::to_string(limit)});
  std::vector<Entry> entries;
  for (int i = 0; i < rows.Rows(); ++i) {
    entries.push_back(Entry{rows.Text(i, "id"), ParseEntryKind(rows.Text(i, "kind")), rows.Int(i, "amount"),
                            rows.OptionalText(i, "order_id"), rows.Int(i, "balance_after"),
                            rows.Rfc3339(i, "created_at")});
  }
  return entries;
}

PaymentsClaimed AccountRepository::ClaimPayments(db::Transaction& tx,
                                                 const std::vector<PaymentClaim>& claims) {
  db::ArrayParam orders, users, amounts;
  for (const auto& claim : claims) {
    orders.Add(claim.order_id);
    users.Add(claim.user_id);
    amounts.Add(claim.amount);
  }
  auto rows = tx.Exec(sql::kClaimOrderPayments, {orders.Text(), users.Text(), amounts.Text()});
  PaymentsClaimed claimed;
  for (int i = 0; i < rows.Rows(); ++i) {
    claimed.orders.insert(rows.Text(i, "order_id"));
    if (auto user = rows.OptionalText(i, "user_id")) claimed.balances.emplace(*user, rows.Int(i, "balance"));
  }
  return claimed;
}

void AccountRepository::RecordDecisions(db::Transaction& tx, const std::vector<PaymentRecord>& records) {
  if (records.empty()) return;
  db::ArrayParam orders, statuses, reasons, entries, times;
  for (const auto& record : records) {
    orders.Add(record.order_id);
    statuses.Add(record.failure ? "failed" : "succeeded");
    reasons.Add(record.failure ? std::optional<std::string>(ToString(*record.failure)) : std::nullopt);
    entries.Add(record.entry_id);
    times.Add(record.processed_at);
  }
  tx.Queue(sql::kRecordDecisions,
           {orders.Text(), statuses.Text(), reasons.Text(), entries.Text(), times.Text()});
}

}  // namespace kpo::payments
