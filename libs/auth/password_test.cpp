#include "auth/password.hpp"

#include <gtest/gtest.h>

namespace kpo::auth {
namespace {

TEST(PasswordTest, RightPasswordVerifies) {
  const auto hash = HashPassword("correct horse battery staple");
  EXPECT_TRUE(VerifyPassword(hash, "correct horse battery staple"));
}

TEST(PasswordTest, WrongPasswordFails) {
  const auto hash = HashPassword("correct horse battery staple");
  EXPECT_FALSE(VerifyPassword(hash, "correct horse battery stapl"));
  EXPECT_FALSE(VerifyPassword(hash, ""));
}

TEST(PasswordTest, HashIsSaltedArgon2id) {
  const auto first = HashPassword("пароль-123");
  EXPECT_EQ(first.rfind("$argon2id$", 0), 0u) << first;
  EXPECT_NE(first, HashPassword("пароль-123"));
  EXPECT_TRUE(VerifyPassword(first, "пароль-123"));
}

TEST(PasswordTest, MalformedHashNeverVerifies) {
  EXPECT_FALSE(VerifyPassword("", "password"));
  EXPECT_FALSE(VerifyPassword("$argon2id$garbage", "password"));
  EXPECT_FALSE(VerifyPassword(std::string(500, 'x'), "password"));
}

TEST(PasswordTest, DummyHashIsFixedAndValid) {
  const auto& dummy = DummyHash();
  EXPECT_EQ(&dummy, &DummyHash());
  EXPECT_EQ(dummy.rfind("$argon2id$", 0), 0u);
  EXPECT_FALSE(VerifyPassword(dummy, "password"));
}

}  // namespace
}  // namespace kpo::auth
