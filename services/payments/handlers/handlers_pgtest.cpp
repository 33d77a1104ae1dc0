// The accounts endpoints called directly, against the tests' payments database: a COMMIT whose answer
// was lost (held past the client's deadline, db/slow_commit_testing.hpp) is answered as the database
// says, never 08007 ("may have been applied").
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <functional>
#include <string>

#include "core/ids.hpp"
#include "db/slow_commit_testing.hpp"
#include "http/problem.hpp"
#include "payments/handlers/handlers.hpp"
#include "payments/storage/test_database.hpp"

namespace kpo::payments {
namespace {

class AccountHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db::Connection connection(PaymentsTestDatabaseUrl(), {});
    MigratePaymentsTestDatabase(connection);
  }

  http::Request Request(const std::string& method, const std::string& path, std::string body = {}) const {
    http::Request request;
    request.method = method;
    request.target = request.path = path;
    request.headers = {{"X-User-Id", user_}, {"Content-Type", "application/json"}};
    request.body = std::move(body);
    return request;
  }
  http::Request NewAccount() const { return Request("POST", "/api/accounts"); }
  http::Request DepositOf(int amount) const {
    return Request("POST", "/api/accounts/me/deposits", R"({"amount":)" + std::to_string(amount) + "}");
  }

  static void ExpectNothingApplied(const std::function<http::Response()>& call) {
    try {
      ADD_FAILURE() << "answered " << call().status;
    } catch (const db::DbError& error) {
      EXPECT_EQ(error.SqlState(), "08006") << error.what();
    }
  }

  static db::Pool PoolWhoseCommitsAreHeld(std::string_view then) {
    return {PaymentsTestDatabaseUrl(), 1, db::SlowCommits::Options(then)};
  }

  std::string user_ = core::NewUuid();
  db::Pool pool_{PaymentsTestDatabaseUrl(), 1, {}};
};

TEST_F(AccountHandlersTest, AnAccountWhoseCommitAnswerWasLostIsAnsweredAsTheDatabaseSays) {
  const db::SlowCommits held(PaymentsTestDatabaseUrl(), "accounts");
  auto failing = PoolWhoseCommitsAreHeld(db::kSlowCommitThenFail);
  ExpectNothingApplied([&] { return CreateAccount(failing, NewAccount()); });
  EXPECT_THROW(GetAccount(pool_, Request("GET", "/api/accounts/me")), http::ProblemError)
      << "nothing was made";

  auto committing = PoolWhoseCommitsAreHeld(db::kSlowCommitThenCommit);
  const auto created = CreateAccount(committing, NewAccount());
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(GetAccount(pool_, Request("GET", "/api/accounts/me")).status, 200);
}

TEST_F(AccountHandlersTest, ADepositWhoseCommitAnswerWasLostIsAnsweredAsTheDatabaseSays) {
  ASSERT_EQ(CreateAccount(pool_, NewAccount()).status, 201);
  const db::SlowCommits held(PaymentsTestDatabaseUrl(), "entries");
  auto committing = PoolWhoseCommitsAreHeld(db::kSlowCommitThenCommit);
  const auto deposited = Deposit(committing, DepositOf(500));
  EXPECT_EQ(deposited.status, 200) << deposited.body;
  auto failing = PoolWhoseCommitsAreHeld(db::kSlowCommitThenFail);
  ExpectNothingApplied([&] { return Deposit(failing, DepositOf(700)); });

  const auto account = GetAccount(pool_, Request("GET", "/api/accounts/me"));
  ASSERT_EQ(account.status, 200);
  EXPECT_EQ(boost::json::parse(account.body).at("balance").as_int64(), 500)
      << "the first applied, the second not";
}

}  // namespace
}  // namespace kpo::payments
