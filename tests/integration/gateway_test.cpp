// The public API through the gateway: identity, the saga, per-user isolation on every route,
// token checks, live updates, docs and operational endpoints.
#include "support/gateway.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "auth/jwt.hpp"
#include "core/ids.hpp"
#include "http/client.hpp"
#include "support/fixture.hpp"

namespace kpo::testing {
namespace {

class Gateway : public SharedSystemTest<GatewaySystem> {
 protected:
  const GatewayClient& client() { return system().client; }
};

std::string Base64Url(const std::string& text) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  int value = 0;
  int bits = -6;
  for (unsigned char c : text) {
    value = (value << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(kAlphabet[(value >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(kAlphabet[((value << 8) >> (bits + 8)) & 0x3F]);
  return out;
}

TEST_F(Gateway, GuestToFinishedOrderThroughTheGateway) {
  const auto session = client().FundedGuest(5'000);
  EXPECT_EQ(client().Balance(session), 5'000);
  const auto id = client().PlaceOrder(session, 1'200);
  const auto order = client().WaitForFinalStatus(session, id);
  EXPECT_EQ(order.at("status").as_string(), "Finished");
  EXPECT_EQ(order.at("userId").as_string(), session.user_id);
  EXPECT_EQ(client().Balance(session), 3'800);

  const auto poor = client().FundedGuest(100);
  EXPECT_EQ(client().WaitForFinalStatus(poor, client().PlaceOrder(poor, 101)).at("failureReason").as_string(),
            "insufficient_funds");
  const auto nobody = client().Guest();
  EXPECT_EQ(
      client().WaitForFinalStatus(nobody, client().PlaceOrder(nobody, 5)).at("failureReason").as_string(),
      "account_not_found");
}

TEST_F(Gateway, RegisterAndLogin) {
  const std::string name = "user_" + core::RandomHex(6);
  const std::string body = R"({"username":")" + name + R"(","password":"correct horse battery"})";
  auto registered = client().Call("POST", "/api/auth/register", std::nullopt, body);
  ASSERT_EQ(registered.status, 201) << registered.body;
  for (const auto* key : {"token", "userId", "expiresAt"}) EXPECT_TRUE(registered.Object().contains(key));
  EXPECT_EQ(client().Call("POST", "/api/auth/register", std::nullopt, body).status, 409);

  auto login = client().Call("POST", "/api/auth/login", std::nullopt, body);
  ASSERT_EQ(login.status, 200);
  EXPECT_EQ(login.Object().at("userId"), registered.Object().at("userId"));
  const std::string token(login.Object().at("token").as_string());
  EXPECT_EQ(client().Call("POST", "/api/accounts", token).status, 201);

  auto wrong_password = client().Call("POST", "/api/auth/login", std::nullopt,
                                      R"({"username":")" + name + R"(","password":"wrong password!"})");
  auto unknown_user =
      client().Call("POST", "/api/auth/login", std::nullopt,
                    R"({"username":"nobody_)" + core::RandomHex(6) + R"(","password":"whatever123"})");
  EXPECT_EQ(wrong_password.status, 401);
  EXPECT_EQ(unknown_user.status, 401);
  EXPECT_EQ(wrong_password.Object().at("detail"), unknown_user.Object().at("detail"));
  EXPECT_EQ(client()
                .Call("POST", "/api/auth/register", std::nullopt, R"({"username":"x","password":"short"})")
                .status,
            422);
}

TEST_F(Gateway, BadTokensAre401) {
  const auto session = client().Guest();
  const auth::TokenSigner same_secret(kTestJwtSecret, std::chrono::seconds(60));
  const auth::TokenSigner other_secret(std::string(40, 'z'), std::chrono::seconds(3600));
  const auto expired = same_secret.Issue(session.user_id, "", true, core::Now() - std::chrono::hours(2));
  const auto foreign = other_secret.Issue(session.user_id, "", true, core::Now());
  auto tampered = session.token;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  const auto payload = session.token.substr(session.token.find('.') + 1,
                                            session.token.rfind('.') - session.token.find('.') - 1);
  const auto alg_none = Base64Url(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".";
  for (const std::optional<std::string>& token :
       {std::optional<std::string>(), std::optional<std::string>(tampered),
        std::optional<std::string>(expired), std::optional<std::string>(foreign),
        std::optional<std::string>(alg_none), std::optional<std::string>("garbage"),
        std::optional<std::string>("")}) {
    auto response = client().Call("GET", "/api/orders", token);
    EXPECT_EQ(response.status, 401) << token.value_or("(none)");
    EXPECT_EQ(http::MediaType(response.Header("Content-Type").value_or("")), "application/problem+json");
  }
  EXPECT_EQ(client().Call("GET", "/api/orders", session.token).status, 200);
  // The scheme is case-insensitive; a scheme without a token is no token.
  for (const std::string_view scheme : {"bearer ", "BEARER  "}) {
    auto response = http::Fetch("127.0.0.1", client().Port(), "GET", "/api/orders",
                                {{"Authorization", std::string(scheme) + session.token}});
    EXPECT_EQ(response.status, 200) << scheme;
  }
  for (const std::string& header :
       {std::string("Bearer "), std::string("Basic dXNlcjpwYXNz"), session.token}) {
    EXPECT_EQ(
        http::Fetch("127.0.0.1", client().Port(), "GET", "/api/orders", {{"Authorization", header}}).status,
        401)
        << header;
  }
}

TEST_F(Gateway, UnknownApiPathsAre401WithoutATokenAnd404WithOne) {
  const auto session = client().Guest();
  for (const std::string path : {"/api/nope", "/api/orders/x/y", "/api/accounts/me/entries/1"}) {
    EXPECT_EQ(client().Call("GET", path, std::nullopt).status, 401) << path;
    EXPECT_EQ(client().Call("GET", path, std::string("garbage")).status, 401) << path;
    auto known = client().Call("GET", path, session.token);
    EXPECT_EQ(known.status, 404) << path;
    EXPECT_EQ(http::MediaType(known.Header("Content-Type").value_or("")), "application/problem+json");
  }
  for (const std::string path : {"/nope", "/api/auth/nope", "/api/docs/a/b"}) {
    EXPECT_EQ(http::Fetch("127.0.0.1", client().Port(), "GET", path).status, 404) << path;
  }
  // A known path with a method it does not serve still says which methods it does.
  EXPECT_EQ(client().Call("DELETE", "/api/orders", session.token).status, 405);
}

TEST_F(Gateway, UsersNeverSeeEachOthersData) {
  const auto alice = client().FundedGuest(1'000);
  const auto bob = client().FundedGuest(50);
  const auto alice_order = client().PlaceOrder(alice, 300);
  client().WaitForFinalStatus(alice, alice_order);

  EXPECT_EQ(client().Call("GET", "/api/orders/" + alice_order, bob.token).status, 404);
  // A client-sent X-User-Id is replaced by the token's subject.
  const http::Headers spoof{{"X-User-Id", alice.user_id}};
  EXPECT_EQ(client().Call("GET", "/api/orders/" + alice_order, bob.token, {}, spoof).status, 404);
  for (const auto* target : {"/api/orders", "/api/accounts/me", "/api/accounts/me/entries"}) {
    auto response = client().Call("GET", target, bob.token, {}, spoof);
    EXPECT_EQ(response.status, 200) << target;
    EXPECT_EQ(response.body.find(alice.user_id), std::string::npos) << target;
    EXPECT_EQ(response.body.find(alice_order), std::string::npos) << target;
  }
  EXPECT_EQ(client().Call("GET", "/api/accounts/me", bob.token, {}, spoof).Object().at("balance").as_int64(),
            50);
  // Writes land on the caller's own account, whatever X-User-Id says.
  EXPECT_EQ(client().Call("POST", "/api/accounts/me/deposits", bob.token, R"({"amount":7})", spoof).status,
            200);
  EXPECT_EQ(client().Balance(alice), 700);
  EXPECT_EQ(client().Balance(bob), 57);
  auto bob_order =
      client().Call("POST", "/api/orders", bob.token, R"({"amount":1,"description":"b"})", spoof);
  EXPECT_EQ(bob_order.Object().at("userId").as_string(), bob.user_id);
  EXPECT_EQ(client()
                .Call("GET", "/api/orders?before=" + alice_order, bob.token)
                .Object()
                .at("items")
                .as_array()
                .size(),
            0U);
  EXPECT_EQ(client().Call("POST", "/api/accounts", bob.token).status, 409);
}

TEST_F(Gateway, LiveUpdatesDeliverMyOrdersAndNothingOfOthers) {
  const auto alice = client().FundedGuest(1'000);
  const auto bob = client().FundedGuest(1'000);
  SseReader alice_stream(client().Port(), "/api/events?access_token=" + alice.token);
  SseReader bob_stream(client().Port(), "/api/events", {{"Authorization", "Bearer " + bob.token}});
  ASSERT_TRUE(WaitUntil([&] { return alice_stream.Received().find("retry:") != std::string::npos; },
                        std::chrono::seconds(5)));
  ASSERT_TRUE(WaitUntil([&] { return bob_stream.Received().find("retry:") != std::string::npos; },
                        std::chrono::seconds(5)));
  EXPECT_NE(alice_stream.Received().find("text/event-stream"), std::string::npos);
  const auto id = client().PlaceOrder(alice, 100);
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto events = alice_stream.Orders();
        return events.size() >= 2 && events.back().at("status").as_string() == "Finished";
      },
      std::chrono::seconds(20)))
      << alice_stream.Received();
  const auto events = alice_stream.Orders();
  EXPECT_EQ(events.front().at("id").as_string(), id);
  EXPECT_EQ(events.front().at("status").as_string(), "Created");
  // Heartbeats flow (1 s in this system), and Bob saw none of Alice's order.
  ASSERT_TRUE(WaitUntil([&] { return bob_stream.Received().find(": heartbeat") != std::string::npos; },
                        std::chrono::seconds(5)));
  EXPECT_TRUE(bob_stream.Orders().empty());
  EXPECT_EQ(bob_stream.Received().find(id), std::string::npos);

  // Resuming after the first event replays the rest.
  const auto first_id = [&] {
    const auto text = alice_stream.Body();
    const auto at = text.find("id: ");
    return text.substr(at + 4, text.find('\n', at) - at - 4);
  }();
  SseReader resumed(client().Port(), "/api/events?access_token=" + alice.token,
                    {{"Last-Event-ID", first_id}});
  ASSERT_TRUE(WaitUntil([&] { return !resumed.Orders().empty(); }, std::chrono::seconds(5)));
  EXPECT_EQ(resumed.Orders().front().at("status").as_string(), "Finished");
  EXPECT_EQ(client().Call("GET", "/api/events", std::nullopt).status, 401);
}

TEST_F(Gateway, ALiveStreamEndsWhenItsTokenExpires) {
  const auto session = client().Guest();
  const auth::TokenSigner signer(kTestJwtSecret, std::chrono::seconds(60));
  // Issued 58 s ago with a 60 s lifetime: valid for another second or two.
  const auto expiring = signer.Issue(session.user_id, "", true, core::Now() - std::chrono::seconds(58));
  SseReader stream(client().Port(), "/api/events?access_token=" + expiring);
  SseReader control(client().Port(), "/api/events?access_token=" + session.token);
  ASSERT_TRUE(WaitUntil([&] { return stream.Received().find("retry:") != std::string::npos; },
                        std::chrono::seconds(5)))
      << stream.Received();
  // The gateway ends the response (the chunked body's last chunk) once the token has expired; the
  // reconnect an EventSource then makes with the same token is refused.
  EXPECT_TRUE(
      WaitUntil([&] { return stream.Received().ends_with("\r\n0\r\n\r\n"); }, std::chrono::seconds(10)))
      << stream.Received();
  EXPECT_EQ(client().Call("GET", "/api/orders", expiring).status, 401);
  EXPECT_FALSE(control.Received().ends_with("\r\n0\r\n\r\n")) << "a valid token's stream stays open";
}

TEST_F(Gateway, ServesDocsAndOperationalEndpoints) {
  auto spec = http::Fetch("127.0.0.1", client().Port(), "GET", "/api/openapi.yaml");
  EXPECT_EQ(spec.status, 200);
  EXPECT_NE(spec.body.find("openapi: 3.1"), std::string::npos);
  auto docs = http::Fetch("127.0.0.1", client().Port(), "GET", "/api/docs");
  EXPECT_EQ(docs.status, 200);
  EXPECT_NE(docs.body.find("swagger"), std::string::npos);
  EXPECT_EQ(http::Fetch("127.0.0.1", client().Port(), "GET", "/api/docs/..%2F..%2Fmain.cpp").status, 404);
  for (const auto* path : {"/healthz", "/readyz", "/metrics"}) {
    EXPECT_EQ(http::Fetch("127.0.0.1", client().Port(), "GET", path).status, 200) << path;
  }
}

TEST_F(Gateway, HeadAnswersWithTheHeadersOfGetAndNoBody) {
  const auto session = client().FundedGuest(1'000);
  const auto id = client().PlaceOrder(session, 10);
  client().WaitForFinalStatus(session, id);  // nothing changes between the GET and the HEAD
  const http::Headers auth{{"Authorization", "Bearer " + session.token}};
  for (const std::string& path : {"/api/orders/" + id, std::string("/api/accounts/me")}) {
    auto get = http::Fetch("127.0.0.1", client().Port(), "GET", path, auth);
    // Well inside the gateway's upstream deadline: a proxy waiting for a body HEAD never has times out.
    auto head = http::Fetch("127.0.0.1", client().Port(), "HEAD", path, auth, {}, std::chrono::seconds(3));
    EXPECT_EQ(head.status, 200) << path;
    EXPECT_TRUE(head.body.empty()) << path;
    EXPECT_EQ(head.Header("Content-Type"), get.Header("Content-Type")) << path;
    EXPECT_EQ(head.Header("Content-Length"), std::to_string(get.body.size())) << path;
  }
}

TEST_F(Gateway, CorsAllowsTheFrontendOrigin) {
  auto preflight =
      http::Fetch("127.0.0.1", client().Port(), "OPTIONS", "/api/orders",
                  {{"Origin", "http://localhost:3000"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.Header("Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_NE(
      std::string(preflight.Header("Access-Control-Allow-Headers").value_or("")).find("Idempotency-Key"),
      std::string::npos);
  auto other =
      client().Call("GET", "/api/orders", client().Guest().token, {}, {{"Origin", "http://evil.example"}});
  EXPECT_FALSE(other.Header("Access-Control-Allow-Origin"));
}

TEST_F(Gateway, RequestIdAndTraceAreCarriedThrough) {
  const auto session = client().Guest();
  const std::string parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto response = client().Call("GET", "/api/orders", session.token, {},
                                {{"X-Request-Id", "trace-me-1"}, {"traceparent", parent}});
  EXPECT_EQ(response.Header("X-Request-Id"), "trace-me-1");
  EXPECT_EQ(std::string(response.Header("traceparent").value_or("")).substr(0, 35), parent.substr(0, 35));
}

}  // namespace
}  // namespace kpo::testing
