#include "http/operational.hpp"

#include <gtest/gtest.h>

#include "http/problem.hpp"
#include "http/router_testing.hpp"

namespace kpo::http {
namespace {

Request Get(std::string path) { return RequestTo("GET", std::move(path)); }

TEST(OperationalRoutes, MetricsAreServedOnlyToThePeersTheFilterAdmits) {
  Router router;
  AddOperationalRoutes(router, {}, [](const Request& r) { return r.remote_address == "10.0.0.9"; });
  auto scraper = Get("/metrics");
  scraper.remote_address = "10.0.0.9";
  EXPECT_EQ(Dispatch(router, scraper).status, 200);
  auto stranger = Get("/metrics");
  stranger.remote_address = "203.0.113.7";
  const auto refused = Dispatch(router, stranger);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.body.find("# TYPE"), std::string::npos) << "nothing of the metrics leaks";
  auto probe = Get("/healthz");
  probe.remote_address = "203.0.113.7";
  EXPECT_EQ(Dispatch(router, probe).status, 200) << "health is not filtered";
}

TEST(OperationalRoutes, ProbesWithinASecondShareOneRunOfTheChecks) {
  Router router;
  int runs = 0;
  AddOperationalRoutes(router, {{"broker", [&runs] { return ++runs, true; }}});
  for (int i = 0; i < 50; ++i) {
    auto probe = Get(i % 2 == 0 ? "/readyz" : "/metrics");
    const auto answer = Dispatch(router, probe);
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
  auto probe = Get("/readyz");
  const auto answer = Dispatch(reported, probe);
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_NE(answer.body.find(R"("orders":"down")"), std::string::npos) << answer.body;

  Router required;
  AddOperationalRoutes(required, {{"database", [&database_up] { return database_up; }}});
  database_up = false;
  auto second = Get("/readyz");
  EXPECT_EQ(Dispatch(required, second).status, 503);
}

// What the server would route: the target as received, its path and the last of each parameter.
Request Probe(std::string target) {
  auto request = Get("/readyz");
  request.target = std::move(target);
  return request;
}

TEST(OperationalRoutes, AnExcludedCheckIsReportedButDoesNotMakeTheInstanceNotReady) {
  Router router;
  AddOperationalRoutes(router, {{"database", [] { return false; }}, {"broker", [] { return false; }}});
  auto full = Probe("/readyz");
  const auto unready = Dispatch(router, full);
  EXPECT_EQ(unready.status, 503) << unready.body;
  EXPECT_NE(unready.body.find(R"("broker":"down")"), std::string::npos) << unready.body;

  for (const auto* target : {"/readyz?exclude=broker,database", "/readyz?exclude=broker&exclude=database",
                             "/readyz?verbose&exclude=database,broker"}) {
    auto partial = Probe(target);
    const auto ready = Dispatch(router, partial);
    EXPECT_EQ(ready.status, 200) << target << " " << ready.body;
    EXPECT_NE(ready.body.find(R"("broker":"down")"), std::string::npos) << "still reported: " << ready.body;
  }
  auto one = Probe("/readyz?exclude=broker");
  EXPECT_EQ(Dispatch(router, one).status, 503) << "the database is still required";
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
      Dispatch(router, typo);
      ADD_FAILURE() << target << " was accepted";
    } catch (const ProblemError& problem) {
      EXPECT_EQ(problem.Status(), 400) << target;
    }
  }
  auto unrelated = Probe("/readyz?excluded=broker");
  EXPECT_EQ(Dispatch(router, unrelated).status, 200) << "another parameter is not 'exclude'";
}

}  // namespace
}  // namespace kpo::http
