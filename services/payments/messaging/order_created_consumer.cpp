#include "messaging/order_created_consumer.hpp"

#include <spdlog/spdlog.h>

#include "messaging/events.hpp"
#include "messaging/inbox.hpp"
#include "storage/account_repository.hpp"

namespace kpo::payments {

messaging::QueueSpec OrderCreatedQueue() {
  return messaging::QueueSpec{kOrderCreatedQueue, kOrdersExchange, {kOrderCreatedKey}, 5};
}

messaging::Disposition HandleOrderCreated(db::Pool& pool, const messaging::Delivery& delivery,
                                          std::stop_token stop) {
  return messaging::ProcessOnce(
      pool, delivery,
      [&](db::Transaction& tx) {
        // Throws PoisonMessage for an event that breaks the contract: it is dead-lettered.
        const auto order = ParseOrderCreated(delivery);
        if (AccountRepository::PayOrder(tx, order, ContinueTrace(delivery))) {
          spdlog::info("order {} of user {} decided", order.order_id, order.user_id);
        }
      },
      stop);
}

}  // namespace kpo::payments
