// The identity endpoints called directly, against a real PostgreSQL: KPO_TEST_GATEWAY_DATABASE_URL
// (default: the tests' database gateway_test).
#include "gateway/handlers/handlers.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <functional>
#include <vector>

#include "core/ids.hpp"
#include "db/migrations.hpp"
#include "db/slow_commit_testing.hpp"
#include "gateway/storage/migrations.hpp"
#include "gateway/storage/test_database.hpp"
#include "gateway/storage/user_repository.hpp"
#include "http/problem.hpp"

namespace kpo::gateway {
namespace {

using Endpoint = std::function<http::Response(db::Pool&, const auth::TokenSigner&, const http::Request&)>;

class IdentityHandlersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db::Connection connection(IdentityTestDatabaseUrl(), {});
    db::Migrate(connection, generated::gateway_identity_migrations(), "gateway-migrations");
  }

  // What a client would see: problems are rendered the way the server's edge renders them.
  http::Response Call(const Endpoint& endpoint, const std::string& path, std::string body) {
    http::Request request;
    request.method = "POST";
    request.target = request.path = path;
    request.headers = {{"Content-Type", "application/json"}};
    request.body = std::move(body);
    try {
      return endpoint(*calls_pool_, signer_, request);
    } catch (const http::ProblemError& problem) {
      return problem.ToResponse();
    }
  }
  http::Response Register(const std::string& username, const std::string& password,
                          const std::string& client = "198.51.100.9") {
    return RegisterWith(R"({"username":")" + username + R"(","password":")" + password + R"("})", client);
  }
  http::Response RegisterWith(std::string body, const std::string& client = "198.51.100.9") {
    return Call(
        [this, &client](db::Pool& pool, const auth::TokenSigner& signer, const http::Request& request) {
          return gateway::Register(pool, signer, throttle_, request, client);
        },
        "/api/auth/register", std::move(body));
  }
  http::Response Login(const std::string& username, const std::string& password,
                       const std::string& client = "198.51.100.1") {
    return LoginWith(R"({"username":")" + username + R"(","password":")" + password + R"("})", client);
  }
  http::Response LoginWith(std::string body, const std::string& client = "198.51.100.1") {
    return Call(
        [this, &client](db::Pool& pool, const auth::TokenSigner& signer, const http::Request& request) {
          return gateway::Login(pool, signer, throttle_, request, client);
        },
        "/api/auth/login", std::move(body));
  }

  // Checks the {"token","userId","expiresAt"} shape and that the token names the user.
  auth::Claims ExpectSession(const http::Response& response, int status) {
    EXPECT_EQ(response.status, status) << response.body;
    const auto json = boost::json::parse(response.body).as_object();
    EXPECT_EQ(json.size(), 3u) << response.body;
    const std::string token(json.at("token").as_string());
    const std::string user_id(json.at("userId").as_string());
    const std::string expires_at(json.at("expiresAt").as_string());
    EXPECT_TRUE(core::IsUuid(user_id));
    const auto claims = signer_.Verify(token, core::Now());
    EXPECT_TRUE(claims) << token;
    if (!claims) return {};
    EXPECT_EQ(claims->user_id, user_id);
    EXPECT_EQ(core::ParseRfc3339(expires_at), claims->expires_at);
    EXPECT_EQ(expires_at.back(), 'Z');
    return *claims;
  }

  static std::string RandomUsername() { return "user_" + core::RandomHex(6); }

  bool UserExists(const std::string& user_id) { return UserRepository::Exists(*pool_.Acquire(), user_id); }

  db::Pool pool_{IdentityTestDatabaseUrl(), 2, {}};
  // The pool the endpoints are called with.
  db::Pool* calls_pool_ = &pool_;
  LoginThrottle throttle_;
  auth::TokenSigner signer_{"handlers-test-secret-0123456789abcdef", std::chrono::hours(1)};
};

TEST_F(IdentityHandlersTest, GuestGetsANewAnonymousUser) {
  const auto first = ExpectSession(Call(Guest, "/api/auth/guest", ""), 201);
  EXPECT_TRUE(first.guest);
  EXPECT_TRUE(first.username.empty());
  const auto second = ExpectSession(Call(Guest, "/api/auth/guest", "{}"), 201);
  EXPECT_NE(first.user_id, second.user_id);
}

TEST_F(IdentityHandlersTest, GuestRejectsFields) {
  const auto response = Call(Guest, "/api/auth/guest", R"({"name":"x"})");
  EXPECT_EQ(response.status, 422);
  EXPECT_NE(response.body.find(R"("name":"unknown field")"), std::string::npos) << response.body;
}

TEST_F(IdentityHandlersTest, RegisterThenTheSameNameInOtherCaseIsTaken) {
  const auto username = RandomUsername();
  const auto claims = ExpectSession(Register(username, "password-1"), 201);
  EXPECT_FALSE(claims.guest);
  EXPECT_EQ(claims.username, username);

  std::string upper = username;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto taken = Register(upper, "password-2");
  EXPECT_EQ(taken.status, 409) << taken.body;
  EXPECT_EQ(http::MediaType(http::FindHeader(taken.headers, "Content-Type").value_or("")),
            "application/problem+json");
}

TEST_F(IdentityHandlersTest, LoginAnswersTheRegisteredUserWhateverTheCase) {
  const auto username = RandomUsername();
  const auto registered = ExpectSession(Register(username, "секретный пароль"), 201);
  std::string mixed = username;
  mixed[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(mixed[0])));
  const auto logged_in = ExpectSession(Login(mixed, "секретный пароль"), 200);
  EXPECT_EQ(logged_in.user_id, registered.user_id);
  EXPECT_EQ(logged_in.username, username);
}

TEST_F(IdentityHandlersTest, WrongPasswordAndUnknownUserLookTheSame) {
  const auto username = RandomUsername();
  ASSERT_EQ(Register(username, "password-1").status, 201);
  const auto wrong_password = Login(username, "password-2");
  const auto unknown_user = Login(RandomUsername(), "password-1");
  const auto malformed_user = Login("no", "password-1");
  EXPECT_EQ(wrong_password.status, 401);
  EXPECT_EQ(unknown_user.status, 401);
  EXPECT_EQ(wrong_password.body, unknown_user.body);
  EXPECT_EQ(wrong_password.body, malformed_user.body);
  EXPECT_EQ(wrong_password.headers, unknown_user.headers);
  EXPECT_EQ(http::FindHeader(wrong_password.headers, "WWW-Authenticate"), R"(Bearer realm="kpo")");
}

// The review found 400 wrong passwords in 42 s for one account, then the right one accepted.
TEST_F(IdentityHandlersTest, GuessingOnePasswordIsSlowedDownAndTheRightOneWaitsItsTurn) {
  const auto username = RandomUsername();
  ASSERT_EQ(Register(username, "password-1").status, 201);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Login(username, "guess-" + std::to_string(i)).status, 401) << i;
  const auto throttled = Login(username, "password-1", "203.0.113.50");
  EXPECT_EQ(throttled.status, 429) << "even the right password from another address waits: "
                                   << throttled.body;
  EXPECT_EQ(http::FindHeader(throttled.headers, "Retry-After"), "1");
  EXPECT_EQ(http::MediaType(http::FindHeader(throttled.headers, "Content-Type").value_or("")),
            "application/problem+json");
  EXPECT_EQ(Login(RandomUsername(), "x", "203.0.113.50").status, 401) << "other accounts are not held back";
}

// An address the account was registered from counts as one it signed in from: others' guesses at
// its password do not lock its owner out there (helper-48: they did, until a first login).
TEST_F(IdentityHandlersTest, GuessesFromElsewhereDoNotHoldBackTheAddressTheAccountWasRegisteredFrom) {
  const auto username = RandomUsername();
  ASSERT_EQ(Register(username, "password-1", "192.0.2.7").status, 201);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Login(username, "guess-" + std::to_string(i)).status, 401) << i;
  EXPECT_EQ(Login(username, "password-1", "203.0.113.50").status, 429) << "a new address still waits";
  EXPECT_EQ(Login(username, "password-1", "192.0.2.7").status, 200);
}

// A COMMIT whose answer was lost (held past the client's deadline, db/slow_commit_testing.hpp) is
// settled by the new user's row: the session if it was made, 08006 (503, nothing made) if not, never
// 08007 ("may have been made"), after which a retried registration would find its own name taken.
TEST_F(IdentityHandlersTest, AGuestOrAUserWhoseCommitAnswerWasLostIsAnsweredAsTheDatabaseSays) {
  const db::SlowCommits held(IdentityTestDatabaseUrl(), "users");
  db::Pool committing(IdentityTestDatabaseUrl(), 1, db::SlowCommits::Options(db::kSlowCommitThenCommit));
  calls_pool_ = &committing;
  const auto guest = ExpectSession(Call(Guest, "/api/auth/guest", ""), 201);
  const auto username = RandomUsername();
  ExpectSession(Register(username, "password-1"), 201);
  calls_pool_ = &pool_;
  EXPECT_TRUE(UserExists(guest.user_id));
  EXPECT_EQ(Login(username, "password-1").status, 200);

  db::Pool failing(IdentityTestDatabaseUrl(), 1, db::SlowCommits::Options(db::kSlowCommitThenFail));
  calls_pool_ = &failing;
  const auto unmade = RandomUsername();
  const std::vector<std::function<http::Response()>> creations = {
      [&] { return Call(Guest, "/api/auth/guest", ""); }, [&] { return Register(unmade, "password-1"); }};
  for (const auto& create : creations) {
    try {
      ADD_FAILURE() << "answered " << create().status;
    } catch (const db::DbError& error) {
      EXPECT_EQ(error.SqlState(), "08006") << error.what();
    }
  }
  calls_pool_ = &pool_;
  EXPECT_EQ(Register(unmade, "password-1").status, 201) << "nothing was made: the name is free";
}

TEST_F(IdentityHandlersTest, InvalidCredentialsAreListedPerField) {
  const auto bad_username = Register("a b", "password-1");
  EXPECT_EQ(bad_username.status, 422);
  EXPECT_TRUE(boost::json::parse(bad_username.body).at("errors").as_object().contains("username"));

  const auto bad_password = Register(RandomUsername(), "short");
  EXPECT_EQ(bad_password.status, 422);
  EXPECT_TRUE(boost::json::parse(bad_password.body).at("errors").as_object().contains("password"));

  const auto both = Register("x", "y");
  EXPECT_EQ(boost::json::parse(both.body).at("errors").as_object().size(), 2u);
}

TEST_F(IdentityHandlersTest, MalformedBodiesAre422) {
  const auto unknown =
      RegisterWith(R"({"username":")" + RandomUsername() + R"(","password":"password-1","admin":true})");
  EXPECT_EQ(unknown.status, 422);
  EXPECT_EQ(boost::json::parse(unknown.body).at("errors").at("admin").as_string(), "unknown field");

  const auto missing = LoginWith(R"({"username":"alice"})");
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(boost::json::parse(missing.body).at("errors").at("password").as_string(), "is required");

  const auto wrong_type = RegisterWith(R"({"username":5,"password":"password-1"})");
  EXPECT_EQ(wrong_type.status, 422);

  EXPECT_EQ(LoginWith("{").status, 422);
  EXPECT_EQ(RegisterWith("").status, 422);
}

}  // namespace
}  // namespace kpo::gateway
