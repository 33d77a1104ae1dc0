#pragma once
// The orders service's configuration, read from the environment in one place.
#include "core/config.hpp"
#include "db/retention.hpp"
#include "orders/app/admission.hpp"
#include "orders/app/order_intake.hpp"
#include "orders/live/live_updates.hpp"
#include "service/bootstrap.hpp"

namespace kpo::orders {

// Every ORDERS_* variable (README "Configuration"), with its local default.
struct OrdersSettings {
  // The variables every database + broker service reads (service::ReadServiceSettings), with a relay
  // that publishes orders' events and records when each order's event left (the timeline's
  // `published` step): ORDERS_RELAY_DELETE_DELAY_MS.
  service::ServiceSettings service;
  LiveUpdatesOptions live;         // ORDERS_LIVE_POLL_MS, _SSE_HEARTBEAT_MS, _SSE_MAX_STREAMS_PER_USER
  AdmissionOptions admission;      // ORDERS_BACKPRESSURE_*, ORDERS_MAX_IN_FLIGHT
  OrderIntakeOptions intake;       // ORDERS_INTAKE_MAX_BATCH, _INTAKE_WRITERS
  db::RetentionSweep event_sweep;  // ORDERS_EVENTS_RETENTION_S: change events kept for resuming streams
};

// Reads them, in the order the effective configuration logs them. Throws std::invalid_argument for
// a malformed value.
OrdersSettings ReadOrdersSettings(core::Config& config);

}  // namespace kpo::orders
