#pragma once
// The gateway's public surface: every route it serves, and the OpenAPI document describing them.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.hpp"
#include "db/pool.hpp"
#include "gateway/domain/token_bucket.hpp"
#include "gateway/proxy/proxy.hpp"
#include "http/router.hpp"

namespace kpo::gateway {

struct RouteSpec {
  std::string method;
  std::string pattern;
};

// Every (method, pattern) the gateway registers, OPTIONS preflights excluded.
const std::vector<RouteSpec>& PublicRoutes();

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
  std::vector<std::string> cors_origins;
  std::string docs_dir;  // swagger-ui-dist files and index.html
  // Peers whose X-Real-IP names the client (the UI's nginx on this host): per-IP limits then
  // count the browser's address rather than the proxy's.
  std::vector<std::string> trusted_proxies{"127.0.0.1", "::1"};
  // How long POST /api/orders is refused here after orders answered 503 + Retry-After (0: never).
  std::chrono::milliseconds shed_window{100};
};

// Registers PublicRoutes() on `router`: identity endpoints, the authenticated proxy routes,
// docs, and CORS preflights. `deps` must outlive the router.
void RegisterRoutes(http::Router& router, GatewayDeps& deps);

}  // namespace kpo::gateway
