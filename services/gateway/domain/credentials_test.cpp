#include "gateway/domain/credentials.hpp"

#include <gtest/gtest.h>

#include "core/utf8.hpp"

namespace kpo::gateway {
namespace {

TEST(CredentialsTest, UsernameLengthIsThreeToThirtyTwo) {
  EXPECT_TRUE(UsernameError("ab"));
  EXPECT_FALSE(UsernameError("abc"));
  EXPECT_FALSE(UsernameError(std::string(32, 'a')));
  EXPECT_TRUE(UsernameError(std::string(33, 'a')));
  EXPECT_TRUE(UsernameError(""));
}

TEST(CredentialsTest, UsernameAllowsOnlyLettersDigitsAndDotDashUnderscore) {
  EXPECT_FALSE(UsernameError("Alice_B.c-9"));
  for (const std::string bad : {"ali ce", "alice@x", "алиса", "ali/ce", "ali+ce", "alice\n"}) {
    EXPECT_TRUE(UsernameError(bad)) << bad;
  }
  EXPECT_TRUE(UsernameError(std::string_view("al\0ce", 5)));
}

TEST(CredentialsTest, UsernamesCompareCaseInsensitively) {
  EXPECT_EQ(NormalizeUsername("Alice.B-9_X"), "alice.b-9_x");
  EXPECT_EQ(NormalizeUsername("ALICE"), NormalizeUsername("alice"));
}

TEST(CredentialsTest, PasswordLengthCountsCodePoints) {
  EXPECT_TRUE(PasswordError("1234567"));
  EXPECT_FALSE(PasswordError("12345678"));
  EXPECT_FALSE(PasswordError("пароль12"));  // 8 code points, 14 bytes
  EXPECT_TRUE(PasswordError("пароль1"));
  std::string longest;
  for (int i = 0; i < 128; ++i) longest += "ж";
  EXPECT_FALSE(PasswordError(longest));
  EXPECT_TRUE(PasswordError(longest + "ж"));
}

TEST(CredentialsTest, PasswordMustBeValidUtf8WithoutNul) {
  EXPECT_TRUE(PasswordError("abcdefg\xff"));
  EXPECT_TRUE(PasswordError("abcdefg\xc0\xaf"));      // overlong '/'
  EXPECT_TRUE(PasswordError("abcdefg\xed\xa0\x80"));  // surrogate
  EXPECT_TRUE(PasswordError(std::string_view("abcd\0efgh", 9)));
}

TEST(CredentialsTest, CodePointCountRejectsTruncatedAndOutOfRange) {
  EXPECT_EQ(core::Utf8Length(""), 0u);
  EXPECT_EQ(core::Utf8Length("a\xf0\x9f\x98\x80"), 2u);  // 'a' and an emoji
  EXPECT_FALSE(core::Utf8Length("\xe2\x82"));
  EXPECT_FALSE(core::Utf8Length("\xf4\x90\x80\x80"));  // above U+10FFFF
}

}  // namespace
}  // namespace kpo::gateway
