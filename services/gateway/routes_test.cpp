// The gateway's own routes answer a lost users database with 503 + Retry-After, never a 500, and
// every answer of the public port is readable by the app and kept by no cache.
#include "gateway/routes.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/jwt.hpp"
#include "core/clock.hpp"
#include "db/pool.hpp"
#include "gateway/middleware/rate_limit.hpp"
#include "http/client.hpp"
#include "http/loopback_server.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "observability/metrics.hpp"

namespace kpo::gateway {
namespace {

// Port 1 on loopback: nothing listens there, so every connection is refused at once, just as
// while a failed primary is down and its standby not yet promoted.
constexpr const char* kUnreachableDatabase = "postgresql://kpo:kpo@127.0.0.1:1/gateway";

// Calls the handler of `method path` the way the server's edge does: a thrown error goes
// through the router's error mapper, and what the mapper leaves becomes a 500; the router's
// finisher then completes the answer.
http::Response Dispatch(const http::Router& router, http::Request request) {
  auto found = router.Find(request);
  http::Response response;
  if (found.handler == nullptr) {
    response = found.error;
  } else {
    try {
      response = (*found.handler)(request);
    } catch (const std::exception& error) {
      response = router.MapError(error).value_or(http::ProblemResponse(500, "unmapped"));
    }
  }
  router.Finish(request, response);
  return response;
}

http::Request RequestFor(std::string method, std::string path) {
  http::Request request;
  request.method = std::move(method);
  request.target = path;
  request.path = std::move(path);
  request.remote_address = "127.0.0.1";
  return request;
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

  explicit Gateway(std::vector<std::string> cors_origins = {}) {
    deps.cors_origins = std::move(cors_origins);
    RegisterRoutes(router, deps);
  }
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

// Not only the routes' answers: the router's 404 and 405 too (the server's own 400, 413 and 431
// go through the same finisher, libs/http/server_finisher_test.cpp). A browser that cannot read a
// refusal sees a network failure instead of the problem it was told.
TEST(GatewayRoutes, EveryPublicAnswerIsReadableByTheAppAndKeptByNoCache) {
  Gateway gateway({"http://localhost:3000"});
  for (auto request : {RequestFor("PUT", "/api/orders"), RequestFor("GET", "/nowhere"),
                       RequestFor("POST", "/api/auth/guest"), RequestFor("OPTIONS", "/api/orders")}) {
    request.headers.emplace_back("Origin", "http://localhost:3000");
    const auto response = Dispatch(gateway.router, request);
    const auto where = request.method + " " + request.path + " -> " + std::to_string(response.status);
    EXPECT_EQ(http::FindHeader(response.headers, "Access-Control-Allow-Origin"), "http://localhost:3000")
        << where;
    EXPECT_EQ(http::FindHeader(response.headers, "X-Content-Type-Options"), "nosniff") << where;
    EXPECT_EQ(http::FindHeader(response.headers, "Cache-Control"), "no-store") << where;
  }
  // The operational routes are the cluster's: no browser headers on them.
  auto health = RequestFor("GET", "/healthz");
  health.headers.emplace_back("Origin", "http://localhost:3000");
  const auto response = Dispatch(gateway.router, health);
  EXPECT_FALSE(http::FindHeader(response.headers, "Access-Control-Allow-Origin").has_value());
}

// While orders refuses new orders as overloaded, the gateway refuses a share of them itself, and says
// what orders said (here: that payments stopped), not a guess of its own.
TEST(GatewayRoutes, TheGatewaysOwnRefusalsOfOrdersRepeatOrdersWords) {
  // Quiet, and spdlog's registry made here: first used by the two servers' threads at once, its
  // construction raced their logging (ThreadSanitizer).
  spdlog::set_level(spdlog::level::warn);
  http::Router orders_router;
  orders_router.Add("POST", "/api/orders", [](const http::Request&) {
    return http::ProblemError(503, "payments have stopped")
        .WithType(std::string(http::kOverloadedProblemType))
        .WithRetryAfter(2)
        .ToResponse();
  });
  const http::LoopbackServer orders_service(orders_router, http::ServerOptions{});
  Gateway gateway;
  Upstream orders{
      UpstreamOptions{.name = "orders", .addresses = {"127.0.0.1:" + std::to_string(orders_service.Port())}}};
  GatewayDeps deps{.users = gateway.users,
                   .signer = gateway.signer,
                   .verifier = gateway.verifier,
                   .orders = orders,
                   .payments = gateway.payments,
                   .per_user = gateway.per_user,
                   .per_ip = gateway.per_ip,
                   .login_throttle = gateway.throttle,
                   .cors_origins = {},
                   .docs_dir = {},
                   .shed_multiplier = 1.5,
                   .shed_max_share = 0.8,
                   .readiness = {}};
  http::Router router;
  RegisterRoutes(router, deps);
  const http::LoopbackServer edge(router, http::ServerOptions{});
  const auto token = gateway.signer.Issue("7d0c4a0e-5b8f-4f6e-9f57-3c1b2a9d8e41", "", true, core::Now());

  auto& shed = ShedCounter();
  const auto shed_before = shed.Value();
  for (int i = 0; i < 40; ++i) {
    const auto response =
        http::Fetch("127.0.0.1", edge.Port(), "POST", "/api/orders",
                    {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                    R"({"amount":100,"description":"x"})", std::chrono::seconds(5));
    ASSERT_EQ(response.status, 503) << i;
    EXPECT_NE(response.body.find("payments have stopped"), std::string::npos) << i << ": " << response.body;
    EXPECT_EQ(response.Header("Retry-After"), "2") << i;
  }
  EXPECT_GT(shed.Value() - shed_before, 0U) << "some were refused by the gateway itself";
  orders.CloseIdleConnections();
}

}  // namespace
}  // namespace kpo::gateway
