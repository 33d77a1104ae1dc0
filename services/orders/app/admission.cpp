#include "orders/app/admission.hpp"

#include <spdlog/spdlog.h>

#include "core/retry.hpp"
#include "db/connection.hpp"
#include "orders/storage/order_repository.hpp"

namespace kpo::orders {

// NOLINTNEXTLINE(performance-unnecessary-value-param): std::jthread hands the token by value
void Admission::Run(std::stop_token stop) {
  if (options_.max_lag.count() == 0) return;
  core::RunWithReconnect("order admission", stop, [&](core::Backoff& backoff) {
    db::Connection db(options_.database_url, {.application_name = "orders-admission"});
    backoff.Reset();
    while (!stop.stop_requested()) {
      const auto lag = OrderRepository::PipelineLagMs(db, options_.window);
      const bool refuse = lag > options_.max_lag.count();
      if (refuse != refusing_.exchange(refuse, std::memory_order_relaxed)) {
        if (refuse) {
          spdlog::warn("refusing new orders: the oldest waits for {} ms (bound {} ms)", lag,
                       options_.max_lag.count());
        } else {
          spdlog::info("accepting new orders again: the oldest waits for {} ms", lag);
        }
      }
      core::WaitFor(stop, options_.check_every);
    }
  });
}

}  // namespace kpo::orders
