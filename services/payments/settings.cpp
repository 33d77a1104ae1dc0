#include "payments/settings.hpp"

#include <string>

#include "contract/events.hpp"

namespace kpo::payments {

service::ServiceSettings ReadPaymentsSettings(core::Config& config) {
  auto settings = service::ReadServiceSettings(config, "PAYMENTS", "payments", "127.0.0.1:5002",
                                               "postgresql://kpo:kpo@localhost:5432/payments");
  settings.relay.exchanges = {std::string(contract::kPaymentsExchange)};
  // Nothing waits for payments' rows to go: what was confirmed within 100 ms is deleted in one commit.
  settings.relay.delete_delay =
      config.Millis("PAYMENTS_RELAY_DELETE_DELAY_MS", messaging::RelayOptions{}.delete_delay);
  return settings;
}

}  // namespace kpo::payments
