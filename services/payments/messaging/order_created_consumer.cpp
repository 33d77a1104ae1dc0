#include "payments/messaging/order_created_consumer.hpp"

#include <spdlog/spdlog.h>

#include "messaging/inbox.hpp"
#include "payments/app/pay_orders.hpp"
#include "payments/messaging/events.hpp"

namespace kpo::payments {

messaging::QueueSpec OrderCreatedQueue() {
  return messaging::QueueSpec{kOrderCreatedQueue,
                              std::string(contract::kOrdersExchange),
                              {std::string(contract::kOrderCreatedKey)},
                              5};
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): std::jthread hands the token by value
std::vector<messaging::Disposition> HandleOrderCreated(db::Pool& pool,
                                                       const std::vector<messaging::Delivery>& batch,
                                                       messaging::OutboxHandoff* relay_handoff,
                                                       std::stop_token stop) {
  auto dispositions = messaging::ProcessBatch(
      pool, batch,
      [&](db::Transaction& tx, const std::vector<const messaging::Delivery*>& fresh) {
        std::vector<messaging::Rejection> rejections;
        std::vector<OrderToPay> orders;
        for (std::size_t i = 0; i < fresh.size(); ++i) {
          // The edge of one message: an event that breaks the contract is dead-lettered alone.
          try {
            orders.push_back({ParseOrderCreated(*fresh[i]), ContinueTrace(*fresh[i])});
          } catch (const messaging::PoisonMessage& poison) {
            rejections.push_back({i, poison.what()});
          }
        }
        if (!rejections.empty()) return rejections;
        const auto decided = PayOrders(tx, orders, relay_handoff);
        if (decided.already_decided > 0)
          spdlog::info("{} order(s) were already decided", decided.already_decided);
        return rejections;
      },
      stop);
  return dispositions;
}

}  // namespace kpo::payments
