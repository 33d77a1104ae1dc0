#include "messaging/payment_result_consumer.hpp"

#include <spdlog/spdlog.h>

#include "messaging/events.hpp"
#include "messaging/inbox.hpp"
#include "storage/order_repository.hpp"

namespace kpo::orders {

messaging::QueueSpec PaymentResultsQueue() {
  return messaging::QueueSpec{
      kPaymentResultsQueue, kPaymentsExchange, {kPaymentSucceededKey, kPaymentFailedKey}, 5};
}

messaging::Disposition HandlePaymentResult(db::Pool& pool, const messaging::Delivery& delivery,
                                           std::stop_token stop) {
  return messaging::ProcessOnce(
      pool, delivery,
      [&](db::Transaction& tx) {
        // Throws PoisonMessage for a result that breaks the contract: it is dead-lettered.
        const auto result = ParsePaymentResult(delivery);
        if (auto order = OrderRepository::ApplyPaymentResult(tx, result)) {
          spdlog::info("order {} is now {}", order->id, ToString(order->status));
        }
      },
      stop);
}

}  // namespace kpo::orders
