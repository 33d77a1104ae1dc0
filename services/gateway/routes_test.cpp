// The gateway's own routes answer a lost users database with 503 + Retry-After, never a 500.
#include "gateway/routes.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "auth/jwt.hpp"
#include "db/pool.hpp"
#include "http/router.hpp"
#include "observability/metrics.hpp"

namespace kpo::gateway {
namespace {

// Port 1 on loopback: nothing listens there, so every connection is refused at once, just as
// while a failed primary is down and its standby not yet promoted.
constexpr const char* kUnreachableDatabase = "postgresql://kpo:kpo@127.0.0.1:1/gateway";

// Calls the handler of `method path` the way the server's edge does: a thrown error goes
// through the router's error mapper, and what the mapper leaves becomes a 500.
http::Response Dispatch(const http::Router& router, http::Request request) {
  auto found = router.Find(request);
  if (found.handler == nullptr) return found.error;
  try {
    return (*found.handler)(request);
  } catch (const std::exception& error) {
    if (auto answer = router.MapError(error)) return *answer;
    http::Response failed;
    failed.status = 500;
    return failed;
  }
}

// The gateway's routes over an unreachable users database and unreachable services.
struct Gateway {
  db::Pool users{kUnreachableDatabase, 1, {.connect_timeout = std::chrono::milliseconds(2000)}};
  auth::TokenSigner signer{"routes-test-secret-of-at-least-32-bytes!", std::chrono::seconds(60)};
  auth::CachingVerifier verifier{signer};
  Upstream orders{UpstreamOptions{.name = "orders", .addresses = {"127.0.0.1:1"}}};
  Upstream payments{UpstreamOptions{.name = "payments", .addresses = {"127.0.0.1:1"}}};
  RateLimiter per_user{0, 0};
  RateLimiter per_ip{0, 0};
  LoginThrottle throttle;
  GatewayDeps deps{.users = users,
                   .signer = signer,
                   .verifier = verifier,
                   .orders = orders,
                   .payments = payments,
                   .per_user = per_user,
                   .per_ip = per_ip,
                   .login_throttle = throttle,
                   .cors_origins = {},
                   .docs_dir = {},
                   .readiness = {}};
  http::Router router;

  Gateway() { RegisterRoutes(router, deps); }
};

TEST(GatewayRoutes, IdentityCallsAnswer503WithRetryAfterWhileTheDatabaseIsDown) {
  Gateway gateway;
  auto& router = gateway.router;
  // Nothing here sheds: the series is there, at 0, because registering the routes made it.
  EXPECT_NE(observability::Registry::Global().Render().find("gateway_shed_total 0"), std::string::npos);

  for (const auto& [path, body] : {std::pair<std::string, std::string>{"/api/auth/guest", ""},
                                   {"/api/auth/register", R"({"username":"alice","password":"password-1"})"},
                                   {"/api/auth/login", R"({"username":"alice","password":"password-1"})"}}) {
    http::Request request;
    request.method = "POST";
    request.target = path;
    request.path = path;
    request.body = body;
    request.headers.emplace_back("Content-Type", "application/json");
    request.remote_address = "127.0.0.1";
    const auto response = Dispatch(router, request);
    EXPECT_EQ(response.status, 503) << path << ": " << response.body;
    EXPECT_TRUE(http::FindHeader(response.headers, "Retry-After").has_value()) << path;
    EXPECT_TRUE(http::FindHeader(response.headers, "Content-Type")
                    .value_or("")
                    .starts_with("application/problem+json"))
        << path;
  }
}

TEST(GatewayRoutes, OptionsSaysInAllowWhatThePathServes) {
  Gateway gateway;
  for (const auto& [path, allow] :
       {std::pair<std::string, std::string>{"/api/orders", "POST, GET, HEAD, OPTIONS"},
        {"/api/orders/123", "GET, HEAD, OPTIONS"},
        {"/api/auth/guest", "POST, OPTIONS"}}) {
    http::Request request;
    request.method = "OPTIONS";
    request.target = path;
    request.path = path;
    request.remote_address = "127.0.0.1";
    const auto response = Dispatch(gateway.router, request);
    EXPECT_EQ(response.status, 204) << path;
    EXPECT_EQ(http::FindHeader(response.headers, "Allow").value_or(""), allow) << path;
  }
}

}  // namespace
}  // namespace kpo::gateway
