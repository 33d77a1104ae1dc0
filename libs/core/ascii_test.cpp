#include "core/ascii.hpp"

#include <gtest/gtest.h>

namespace kpo::core {
namespace {

static_assert(AsciiLower('Q') == 'q');
static_assert(EqualsIgnoringAsciiCase("Content-Length", "content-LENGTH"));

TEST(Ascii, FoldsOnlyAsciiLetters) {
  EXPECT_EQ(AsciiLower('A'), 'a');
  EXPECT_EQ(AsciiLower('Z'), 'z');
  EXPECT_EQ(AsciiLower('-'), '-');
  EXPECT_EQ(AsciiLower('@'), '@');  // just below 'A'
  EXPECT_EQ(AsciiLower('['), '[');  // just above 'Z'
  EXPECT_EQ(AsciiLower('\xC4'), '\xC4');
}

TEST(Ascii, LowersAWholeStringLeavingOtherBytes) {
  EXPECT_EQ(AsciiLowered("Alice.B-9_Z"), "alice.b-9_z");
  EXPECT_EQ(AsciiLowered("\xC3\x84X"), "\xC3\x84x");  // 'Ä' in UTF-8 is left as it is
  EXPECT_EQ(AsciiLowered(""), "");
}

TEST(Ascii, ComparesIgnoringCase) {
  EXPECT_TRUE(EqualsIgnoringAsciiCase("X-User-Id", "x-user-id"));
  EXPECT_FALSE(EqualsIgnoringAsciiCase("X-User-Id", "x-user-ix"));
  EXPECT_FALSE(EqualsIgnoringAsciiCase("X-User", "X-User-Id"));
  EXPECT_TRUE(EqualsIgnoringAsciiCase("", ""));
}

}  // namespace
}  // namespace kpo::core
