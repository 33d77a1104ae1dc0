#include "http/router.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/utf8.hpp"
#include "http/problem.hpp"

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
  EXPECT_EQ(FindHeader(response.headers, "allow"), "GET, HEAD, POST");  // a GET route answers HEAD too
}

TEST(Router, A404Or405NamesAPathThatIsNotUtf8InValidUtf8) {
  // The path is percent-decoded: /api/%ff%fe arrives as bytes no JSON text may hold (RFC 8259 §8.1).
  Router router;
  router.Add("GET", "/api/orders/{id}", [](Request&) { return JsonResponse(200, "{}"); });
  auto missing = Make("GET", "/api/\xFF\xFE");
  auto wrong = Make("DELETE", "/api/orders/\xC0\x80");
  for (Request* request : {&missing, &wrong}) {
    const auto response = Call(router, *request);
    boost::system::error_code error;
    const auto body = boost::json::parse(response.body, error);
    ASSERT_FALSE(error) << response.body;
    EXPECT_TRUE(core::Utf8Length(response.body).has_value()) << response.body;
    EXPECT_NE(std::string(body.at("detail").as_string()).find("\xEF\xBF\xBD\xEF\xBF\xBD"), std::string::npos);
  }
  EXPECT_EQ(Call(router, missing).status, 404);
  EXPECT_EQ(Call(router, wrong).status, 405);
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

TEST(OperationalRoutes, MetricsAreServedOnlyToThePeersTheFilterAdmits) {
  Router router;
  AddOperationalRoutes(router, {}, [](const Request& r) { return r.remote_address == "10.0.0.9"; });
  auto scraper = Make("GET", "/metrics");
  scraper.remote_address = "10.0.0.9";
  EXPECT_EQ(Call(router, scraper).status, 200);
  auto stranger = Make("GET", "/metrics");
  stranger.remote_address = "203.0.113.7";
  const auto refused = Call(router, stranger);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.body.find("# TYPE"), std::string::npos) << "nothing of the metrics leaks";
  auto probe = Make("GET", "/healthz");
  probe.remote_address = "203.0.113.7";
  EXPECT_EQ(Call(router, probe).status, 200) << "health is not filtered";
}

TEST(OperationalRoutes, ProbesWithinASecondShareOneRunOfTheChecks) {
  Router router;
  int runs = 0;
  AddOperationalRoutes(router, {{"broker", [&runs] { return ++runs, true; }}});
  for (int i = 0; i < 50; ++i) {
    auto probe = Make("GET", i % 2 == 0 ? "/readyz" : "/metrics");
    const auto answer = Call(router, probe);
    ASSERT_EQ(answer.status, 200);
    if (i % 2 == 0) {
      EXPECT_NE(answer.body.find(R"("broker":"ok")"), std::string::npos) << answer.body;
    }
  }
  EXPECT_EQ(runs, 1) << "each probe opened a broker connection of its own";
}

TEST(OperationalRoutes, OnlyARequiredCheckThatFailsMakesTheInstanceNotReady) {
  bool database_up = true;
  Router reported;
  AddOperationalRoutes(reported,
                       {{"database", [] { return true; }}, {"orders", [] { return false; }, false}});
  auto probe = Make("GET", "/readyz");
  const auto answer = Call(reported, probe);
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_NE(answer.body.find(R"("orders":"down")"), std::string::npos) << answer.body;

  Router required;
  AddOperationalRoutes(required, {{"database", [&database_up] { return database_up; }}});
  database_up = false;
  auto second = Make("GET", "/readyz");
  EXPECT_EQ(Call(required, second).status, 503);
}

// What the server would route: the target as received, its path and the last of each parameter.
Request Probe(std::string target) {
  auto request = Make("GET", "/readyz");
  request.target = std::move(target);
  return request;
}

TEST(OperationalRoutes, AnExcludedCheckIsReportedButDoesNotMakeTheInstanceNotReady) {
  Router router;
  AddOperationalRoutes(router, {{"database", [] { return false; }}, {"broker", [] { return false; }}});
  auto full = Probe("/readyz");
  const auto unready = Call(router, full);
  EXPECT_EQ(unready.status, 503) << unready.body;
  EXPECT_NE(unready.body.find(R"("broker":"down")"), std::string::npos) << unready.body;

  for (const auto* target : {"/readyz?exclude=broker,database", "/readyz?exclude=broker&exclude=database",
                             "/readyz?verbose&exclude=database,broker"}) {
    auto partial = Probe(target);
    const auto ready = Call(router, partial);
    EXPECT_EQ(ready.status, 200) << target << " " << ready.body;
    EXPECT_NE(ready.body.find(R"("broker":"down")"), std::string::npos) << "still reported: " << ready.body;
  }
  auto one = Probe("/readyz?exclude=broker");
  EXPECT_EQ(Call(router, one).status, 503) << "the database is still required";
}

TEST(OperationalRoutes, ExcludingACheckThatDoesNotExistOrNoneIsAClientError) {
  Router router;
  AddOperationalRoutes(router, {{"database", [] { return true; }}, {"broker", [] { return true; }}});
  for (const auto* target :
       {"/readyz?exclude=database,brokr", "/readyz?exclude=", "/readyz?exclude", "/readyz?exclude=broker,",
        "/readyz?exclude=,broker", "/readyz?exclude=broker,,database", "/readyz?exclude=broker&exclude=x",
        "/readyz?exclude=%62roker"}) {
    auto typo = Probe(target);
    try {
      Call(router, typo);
      ADD_FAILURE() << target << " was accepted";
    } catch (const ProblemError& problem) {
      EXPECT_EQ(problem.Status(), 400) << target;
    }
  }
  auto unrelated = Probe("/readyz?excluded=broker");
  EXPECT_EQ(Call(router, unrelated).status, 200) << "another parameter is not 'exclude'";
}

TEST(Router, LiteralSegmentsMustMatchExactly) {
  Router router;
  router.Add("GET", "/api/accounts/me", [](Request&) { return JsonResponse(200, "me"); });
  auto request = Make("GET", "/api/accounts/you");
  EXPECT_EQ(Call(router, request).status, 404);
}

// An async route declared to read JSON is judged like a blocking one: a typed body of another kind
// is refused (415) before it runs; one that reads any body (a proxy) takes it, as does a body-less
// request.
TEST(Router, AnAsyncRouteThatReadsJsonTakesOnlyJsonBodies) {
  Router router;
  const AsyncHandler never_run = [](Request&) -> boost::asio::awaitable<Response> { co_return Response{}; };
  router.AddAsync("POST", "/api/orders", never_run, BodyTypes::kJson);
  router.AddAsync("POST", "/api/proxied", never_run);
  auto typed = [](std::string path, std::string type) {
    auto request = Make("POST", std::move(path));
    request.body = "{}";
    request.headers.emplace_back("Content-Type", std::move(type));
    return request;
  };
  auto json = typed("/api/orders", "application/json");
  EXPECT_TRUE(AcceptsBodyType(json, router.Find(json)));
  auto text = typed("/api/orders", "text/plain");
  EXPECT_FALSE(AcceptsBodyType(text, router.Find(text)));
  auto proxied = typed("/api/proxied", "text/plain");
  EXPECT_TRUE(AcceptsBodyType(proxied, router.Find(proxied)));
}

}  // namespace
}  // namespace kpo::http
