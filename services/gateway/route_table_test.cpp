// The route table is consistent: each route's access, rate class and flags fit who answers it.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "gateway/routes.hpp"

namespace kpo::gateway {
namespace {

bool IsProxied(const RouteSpec& route) {
  return route.target == Target::kOrders || route.target == Target::kPayments;
}

std::string NameOf(const RouteSpec& route) {
  return std::string(route.method) + ' ' + std::string(route.pattern);
}

TEST(RouteTable, ProxiedRoutesNeedATokenAndAreLimitedPerUser) {
  for (const auto& route : RouteTable()) {
    if (!IsProxied(route)) continue;
    EXPECT_EQ(route.access, Access::kAuthenticated) << NameOf(route);
    EXPECT_EQ(route.rate, RateClass::kPerUser) << NameOf(route);
  }
}

TEST(RouteTable, RoutesAnsweredHereNeedNoToken) {
  // The gateway's own handlers do not look at the token: an authenticated local route would be open.
  for (const auto& route : RouteTable()) {
    if (IsProxied(route)) continue;
    EXPECT_NE(route.access, Access::kAuthenticated) << NameOf(route);
    EXPECT_FALSE(route.token_in_query) << NameOf(route);
    EXPECT_FALSE(route.shed) << NameOf(route) << ": only a service's answer starts shedding";
  }
}

TEST(RouteTable, OnlyTheEventStreamTakesItsTokenFromTheQuery) {
  std::set<std::string> query_token;
  for (const auto& route : RouteTable()) {
    if (route.token_in_query) query_token.insert(NameOf(route));
  }
  EXPECT_EQ(query_token, std::set<std::string>{"GET /api/events"});
}

TEST(RouteTable, OnlyPlacingAnOrderIsShed) {
  std::set<std::string> shed;
  for (const auto& route : RouteTable()) {
    if (route.shed) shed.insert(NameOf(route));
  }
  EXPECT_EQ(shed, std::set<std::string>{"POST /api/orders"});
}

TEST(RouteTable, InternalRoutesAreExactlyTheOperationalOnesOutsideTheApi) {
  std::set<std::string> internal;
  for (const auto& route : RouteTable()) {
    EXPECT_EQ(route.access == Access::kInternal, route.target == Target::kOperational) << NameOf(route);
    EXPECT_EQ(route.access == Access::kInternal, !route.pattern.starts_with("/api/")) << NameOf(route);
    if (route.access == Access::kInternal) {
      EXPECT_EQ(route.rate, RateClass::kNone) << NameOf(route);
      internal.insert(NameOf(route));
    }
  }
  // What http::AddOperationalRoutes registers.
  EXPECT_EQ(internal, (std::set<std::string>{"GET /healthz", "GET /readyz", "GET /metrics"}));
}

TEST(RouteTable, PublicRoutesAreLimitedPerIp) {
  for (const auto& route : RouteTable()) {
    if (route.access == Access::kPublic) {
      EXPECT_EQ(route.rate, RateClass::kPerIp) << NameOf(route);
    }
  }
}

}  // namespace
}  // namespace kpo::gateway
