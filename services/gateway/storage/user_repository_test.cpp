// Against a real PostgreSQL: KPO_TEST_GATEWAY_DATABASE_URL (default: gateway_test).
#include "gateway/storage/user_repository.hpp"

#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "db/migrations.hpp"
#include "gateway/storage/migrations.hpp"
#include "gateway/storage/test_database.hpp"

namespace kpo::gateway {
namespace {

std::string RandomUsername() { return "u_" + core::RandomHex(8); }

class UserRepositoryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db::Connection connection(IdentityTestDatabaseUrl(), {});
    db::Migrate(connection, generated::gateway_identity_migrations(), "gateway-migrations");
  }
  db::Connection connection_{IdentityTestDatabaseUrl(), {}};
};

TEST_F(UserRepositoryTest, RegisteredUserIsFoundByUsername) {
  const auto username = RandomUsername();
  std::optional<std::string> id;
  {
    db::Transaction tx(connection_);
    id = UserRepository::Register(tx, username, "$argon2id$hash");
    tx.Commit();
  }
  ASSERT_TRUE(id);
  EXPECT_TRUE(core::IsUuid(*id));
  const auto found = UserRepository::FindByUsername(connection_, username);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user_id, *id);
  EXPECT_EQ(found->password_hash, "$argon2id$hash");
}

TEST_F(UserRepositoryTest, TakenUsernameIsRefusedAndTheTransactionStaysUsable) {
  const auto username = RandomUsername();
  {
    db::Transaction tx(connection_);
    ASSERT_TRUE(UserRepository::Register(tx, username, "first"));
    tx.Commit();
  }
  db::Transaction tx(connection_);
  EXPECT_FALSE(UserRepository::Register(tx, username, "second"));
  EXPECT_TRUE(UserRepository::Register(tx, RandomUsername(), "third"));
  tx.Commit();
  EXPECT_EQ(UserRepository::FindByUsername(connection_, username)->password_hash, "first");
}

TEST_F(UserRepositoryTest, UnknownUsernameIsNotFound) {
  EXPECT_FALSE(UserRepository::FindByUsername(connection_, RandomUsername()));
}

TEST_F(UserRepositoryTest, GuestsGetDistinctIdsAndNoCredentials) {
  db::Transaction tx(connection_);
  const auto first = UserRepository::CreateGuest(tx);
  const auto second = UserRepository::CreateGuest(tx);
  tx.Commit();
  EXPECT_TRUE(core::IsUuid(first));
  EXPECT_NE(first, second);
  const auto row =
      connection_.Exec("SELECT guest, username IS NULL AS anonymous FROM users WHERE id = $1", {first});
  ASSERT_EQ(row.Rows(), 1);
  EXPECT_TRUE(row.Bool(0, "guest"));
  EXPECT_TRUE(row.Bool(0, "anonymous"));
}

TEST_F(UserRepositoryTest, UsernamesMustBeStoredLowerCase) {
  db::Transaction tx(connection_);
  EXPECT_THROW(UserRepository::Register(tx, "Upper_" + core::RandomHex(4), "hash"), db::DbError);
}

}  // namespace
}  // namespace kpo::gateway
