// The route table. Adding a route here serves it; openapi_routes_test.cpp then wants it documented.
#include "gateway/routes.hpp"

namespace kpo::gateway {
namespace {

constexpr auto kPublic = Access::kPublic;
constexpr auto kAuthenticated = Access::kAuthenticated;
constexpr auto kInternal = Access::kInternal;
constexpr auto kPerIp = RateClass::kPerIp;
constexpr auto kPerUser = RateClass::kPerUser;
constexpr auto kNoLimit = RateClass::kNone;

// clang-format off
const std::vector<RouteSpec> kRoutes = {
    // method  pattern                       target                access          rate      query  shed   stream
    {"POST", "/api/auth/guest",           Target::kGuest,       kPublic,        kPerIp},
    {"POST", "/api/auth/register",        Target::kRegister,    kPublic,        kPerIp},
    {"POST", "/api/auth/login",           Target::kLogin,       kPublic,        kPerIp},
    {"POST", "/api/accounts",             Target::kPayments,    kAuthenticated, kPerUser},
    {"GET",  "/api/accounts/me",          Target::kPayments,    kAuthenticated, kPerUser},
    {"POST", "/api/accounts/me/deposits", Target::kPayments,    kAuthenticated, kPerUser},
    {"GET",  "/api/accounts/me/entries",  Target::kPayments,    kAuthenticated, kPerUser},
    {"POST", "/api/orders",               Target::kOrders,      kAuthenticated, kPerUser, false, true},
    {"GET",  "/api/orders",               Target::kOrders,      kAuthenticated, kPerUser},
    {"GET",  "/api/orders/{id}",          Target::kOrders,      kAuthenticated, kPerUser},
    {"GET",  "/api/events",               Target::kOrders,      kAuthenticated, kPerUser, true,  false, true},
    {"GET",  "/api/openapi.yaml",         Target::kOpenApi,     kPublic,        kPerIp},
    {"GET",  "/api/docs",                 Target::kDocs,        kPublic,        kPerIp},
    {"GET",  "/api/docs/{file}",          Target::kDocsFile,    kPublic,        kPerIp},
    {"GET",  "/healthz",                  Target::kOperational, kInternal,      kNoLimit},
    {"GET",  "/readyz",                   Target::kOperational, kInternal,      kNoLimit},
    {"GET",  "/metrics",                  Target::kOperational, kInternal,      kNoLimit},
};
// clang-format on

}  // namespace

const std::vector<RouteSpec>& RouteTable() { return kRoutes; }

}  // namespace kpo::gateway
