#include "http/router.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/utf8.hpp"
#include "http/problem.hpp"
#include "http/router_testing.hpp"

namespace kpo::http {
namespace {

TEST(Router, BindsPathParameters) {
  Router router;
  router.Add("GET", "/api/orders/{id}", [](Request& r) { return JsonResponse(200, r.path_params.at("id")); });
  auto request = RequestTo("GET", "/api/orders/abc");
  EXPECT_EQ(Dispatch(router, request).body, "abc");
  EXPECT_EQ(router.Find(request).pattern, "/api/orders/{id}");
}

TEST(Router, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  Router router;
  router.Add("GET", "/api/orders", [](Request&) { return JsonResponse(200, "[]"); });
  router.Add("POST", "/api/orders", [](Request&) { return JsonResponse(202, "{}"); });
  auto missing = RequestTo("GET", "/api/nothing");
  EXPECT_EQ(Dispatch(router, missing).status, 404);
  auto wrong = RequestTo("DELETE", "/api/orders");
  auto response = Dispatch(router, wrong);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(FindHeader(response.headers, "allow"), "GET, HEAD, POST");  // a GET route answers HEAD too
}

TEST(Router, A404Or405NamesAPathThatIsNotUtf8InValidUtf8) {
  // The path is percent-decoded: /api/%ff%fe arrives as bytes no JSON text may hold (RFC 8259 §8.1).
  Router router;
  router.Add("GET", "/api/orders/{id}", [](Request&) { return JsonResponse(200, "{}"); });
  auto missing = RequestTo("GET", "/api/\xFF\xFE");
  auto wrong = RequestTo("DELETE", "/api/orders/\xC0\x80");
  for (Request* request : {&missing, &wrong}) {
    const auto response = Dispatch(router, *request);
    boost::system::error_code error;
    const auto body = boost::json::parse(response.body, error);
    ASSERT_FALSE(error) << response.body;
    EXPECT_TRUE(core::Utf8Length(response.body).has_value()) << response.body;
    EXPECT_NE(std::string(body.at("detail").as_string()).find("\xEF\xBF\xBD\xEF\xBF\xBD"), std::string::npos);
  }
  EXPECT_EQ(Dispatch(router, missing).status, 404);
  EXPECT_EQ(Dispatch(router, wrong).status, 405);
}

TEST(Router, AFallbackAnswersUnknownPathsButNotOtherMethodsOfKnownOnes) {
  Router router;
  router.Add("GET", "/api/orders", [](Request&) { return JsonResponse(200, "[]"); });
  router.SetNotFound([](Request& r) { return JsonResponse(418, "\"" + r.path + "\""); });
  auto missing = RequestTo("GET", "/api/nothing/at/all");
  EXPECT_EQ(Dispatch(router, missing).status, 418);
  EXPECT_EQ(Dispatch(router, missing).body, R"("/api/nothing/at/all")");
  auto wrong = RequestTo("DELETE", "/api/orders");
  EXPECT_EQ(Dispatch(router, wrong).status, 405);
}

TEST(Router, LiteralSegmentsMustMatchExactly) {
  Router router;
  router.Add("GET", "/api/accounts/me", [](Request&) { return JsonResponse(200, "me"); });
  auto request = RequestTo("GET", "/api/accounts/you");
  EXPECT_EQ(Dispatch(router, request).status, 404);
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
    auto request = RequestTo("POST", std::move(path));
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
