#pragma once
// The orders API, one endpoint per file. Each handler reads the caller from X-User-Id.
#include <optional>

#include "db/pool.hpp"
#include "http/message.hpp"
#include "http/router.hpp"

namespace kpo::orders {

class Admission;
class OrderIntake;

// What the order-placing handler needs besides the database.
struct OrderServices {
  db::Pool& pool;
  OrderIntake& intake;
};

// POST /api/orders {"amount","description"} → 202 order + Location; 422 on invalid input. Async (an
// http::AsyncHandler): it runs on the I/O thread and waits for the intake's batch without
// blocking it.
boost::asio::awaitable<http::Response> CreateOrder(const OrderServices& services, http::Request& request);
// The gate of POST /api/orders (http::Router::Gate): 503 + Retry-After while the pipeline is behind
// or as many orders as may be are in hand (see Admission), decided before the request is read
// further; what it lets through holds its in-flight place until answered.
http::Router::GateAnswer AdmitOrRefuse(Admission& admission);
// GET /api/orders/{id} → 200 order; 404 when missing or another user's.
http::Response GetOrder(db::Pool& pool, const http::Request& request);
// GET /api/orders?limit=&before= → 200 {"items","next"} newest first; 422 on a bad limit/cursor.
http::Response ListOrders(db::Pool& pool, const http::Request& request);

class LiveUpdates;
// GET /api/events → text/event-stream: event `order` with the order JSON on every change of the
// caller's orders; resumes after Last-Event-ID (header or ?lastEventId=).
http::Response StreamEvents(db::Pool& pool, LiveUpdates& live, const http::Request& request);

}  // namespace kpo::orders
