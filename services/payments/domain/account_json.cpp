#include "payments/domain/account_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace kpo::payments {

std::string AccountToJson(const Account& account) {
  return boost::json::serialize(boost::json::object{{"userId", account.user_id},
                                                    {"balance", account.balance},
                                                    {"createdAt", account.created_at},
                                                    {"updatedAt", account.updated_at}});
}

std::string EntryPageToJson(const std::vector<Entry>& entries, const std::optional<std::string>& next) {
  boost::json::array items;
  for (const auto& entry : entries) {
    items.push_back(
        boost::json::object{{"id", entry.id},
                            {"kind", ToString(entry.kind)},
                            {"amount", entry.amount},
                            {"orderId", entry.order_id ? boost::json::value(*entry.order_id) : nullptr},
                            {"balanceAfter", entry.balance_after},
                            {"createdAt", entry.created_at}});
  }
  return boost::json::serialize(
      boost::json::object{{"items", std::move(items)}, {"next", next ? boost::json::value(*next) : nullptr}});
}

std::string DepositResultToJson(core::Minor balance, const std::string& entry_id) {
  return boost::json::serialize(boost::json::object{{"balance", balance}, {"entryId", entry_id}});
}

}  // namespace kpo::payments
