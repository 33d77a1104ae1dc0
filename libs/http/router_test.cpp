#include "http/router.hpp"

#include <gtest/gtest.h>

namespace kpo::http {
namespace {

Request Make(std::string method, std::string path) {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  return request;
}

// What the server does with a request: run the route's handler, or answer the router's 404/405.
Response Call(const Router& router, Request& request) {
  const Router::Found found = router.Find(request);
  return found.handler != nullptr ? (*found.handler)(request) : found.error;
}

TEST(Router, BindsPathParameters) {
  Router router;
  router.Add("GET", "/api/orders/{id}", [](Request& r) { return JsonResponse(200, r.path_params.at("id")); });
  auto request = Make("GET", "/api/orders/abc");
  EXPECT_EQ(Call(router, request).body, "abc");
  EXPECT_EQ(router.Find(request).pattern, "/api/orders/{id}");
}

TEST(Router, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  Router router;
  router.Add("GET", "/api/orders", [](Request&) { return JsonResponse(200, "[]"); });
  router.Add("POST", "/api/orders", [](Request&) { return JsonResponse(202, "{}"); });
  auto missing = Make("GET", "/api/nothing");
  EXPECT_EQ(Call(router, missing).status, 404);
  auto wrong = Make("DELETE", "/api/orders");
  auto response = Call(router, wrong);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(FindHeader(response.headers, "allow"), "GET, POST");
}

TEST(Router, AFallbackAnswersUnknownPathsButNotOtherMethodsOfKnownOnes) {
  Router router;
  router.Add("GET", "/api/orders", [](Request&) { return JsonResponse(200, "[]"); });
  router.SetNotFound([](Request& r) { return JsonResponse(418, "\"" + r.path + "\""); });
  auto missing = Make("GET", "/api/nothing/at/all");
  EXPECT_EQ(Call(router, missing).status, 418);
  EXPECT_EQ(Call(router, missing).body, R"("/api/nothing/at/all")");
  auto wrong = Make("DELETE", "/api/orders");
  EXPECT_EQ(Call(router, wrong).status, 405);
}

TEST(Router, LiteralSegmentsMustMatchExactly) {
  Router router;
  router.Add("GET", "/api/accounts/me", [](Request&) { return JsonResponse(200, "me"); });
  auto request = Make("GET", "/api/accounts/you");
  EXPECT_EQ(Call(router, request).status, 404);
}

}  // namespace
}  // namespace kpo::http
