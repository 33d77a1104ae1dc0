#pragma once
// The payments service's configuration, read from the environment in one place.
#include "core/config.hpp"
#include "service/bootstrap.hpp"

namespace kpo::payments {

// Every PAYMENTS_* variable (README "Configuration"), with its local default: the variables every
// database + broker service reads (service::ReadServiceSettings), with a relay that publishes
// payments' results and deletes what the broker confirmed within PAYMENTS_RELAY_DELETE_DELAY_MS
// together. Throws std::invalid_argument for a malformed value.
service::ServiceSettings ReadPaymentsSettings(core::Config& config);

}  // namespace kpo::payments
