#pragma once
// The gateway's public surface as one table: every route it serves, who answers it, and what a
// request must pass on the way (token, rate limit, shedding). The table drives both the routing
// (RegisterRoutes) and the contract check against the OpenAPI document (openapi_routes_test.cpp).
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/jwt.hpp"
#include "db/pool.hpp"
#include "gateway/domain/address_set.hpp"
#include "gateway/domain/login_throttle.hpp"
#include "gateway/domain/shedder.hpp"
#include "gateway/domain/token_bucket.hpp"
#include "gateway/proxy/proxy.hpp"
#include "http/operational.hpp"
#include "http/router.hpp"

namespace kpo::gateway {

// Who answers a route.
enum class Target {
  kOrders,    // proxied to the orders service
  kPayments,  // proxied to the payments service
  kGuest,     // identity endpoints, answered here from the users database
  kRegister,
  kLogin,
  kOpenApi,      // the embedded OpenAPI document
  kDocs,         // Swagger UI's page
  kDocsFile,     // Swagger UI's asset files
  kOperational,  // /healthz, /readyz, /metrics (http::AddOperationalRoutes)
};

// What a caller must show. kAuthenticated routes answer 401 without a valid bearer token; kPublic
// routes need none; both answer browsers per the CORS policy and get an OPTIONS preflight.
// kInternal routes are for probes and scrapers: no token, no limit, no CORS.
enum class Access { kPublic, kAuthenticated, kInternal };

// Whose bucket a request takes from. An anonymous call of a kAuthenticated route always takes from
// its IP's bucket (guessing tokens is limited), whatever the route's class.
enum class RateClass { kNone, kPerIp, kPerUser };

struct RouteSpec {
  std::string_view method;
  std::string_view pattern;
  Target target;
  Access access;
  RateClass rate;
  bool token_in_query = false;  // ?access_token= is accepted: EventSource cannot set headers
  bool shed = false;            // refused here for a while after the service said it is overloaded
  bool stream = false;          // a live-update stream: held to the per-address stream quota
};

// Every (method, pattern) the gateway serves, in registration order, OPTIONS preflights excluded.
const std::vector<RouteSpec>& RouteTable();

// services/gateway/openapi.yaml, embedded at build time.
std::string_view OpenApiDocument();

struct GatewayDeps {
  db::Pool& users;
  const auth::TokenSigner& signer;
  const auth::CachingVerifier& verifier;
  Upstream& orders;
  Upstream& payments;
  RateLimiter& per_user;
  RateLimiter& per_ip;
  LoginThrottle& login_throttle;  // failed logins per username and per client address
  std::vector<std::string> cors_origins;
  std::string docs_dir;  // swagger-ui-dist files and index.html
  // Peers that may read /metrics; the gateway's port is public, its metrics are not.
  AddressSet metrics_readers{{"127.0.0.1", "::1"}};
  // A shed route is passed on up to this multiple of what its service accepted over the last
  // second; the rest is refused here (0: never). See domain/shedder.hpp.
  double shed_multiplier = 1.5;
  // The largest share of a shed route's requests refused here (GATEWAY_SHED_MAX_PERCENT / 100).
  double shed_max_share = Shedder::kDefaultMaxShare;
  // Live-update streams one client address may hold open here at once (0: no bound).
  std::size_t streams_per_address = 0;
  // /readyz's checks.
  http::ReadinessChecks readiness;
};

// Registers RouteTable() on `router`, with an OPTIONS preflight for each /api/ pattern and the
// answer for paths no route serves. `deps` must outlive the router; what the routes share (CORS
// policy, shedders) is owned by the router's handlers.
void RegisterRoutes(http::Router& router, GatewayDeps& deps);

}  // namespace kpo::gateway
