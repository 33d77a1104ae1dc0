#include "core/utf8.hpp"

#include <gtest/gtest.h>

namespace kpo::core {
namespace {

TEST(Utf8, CountsCodePointsOfValidText) {
  EXPECT_EQ(Utf8Length(""), 0U);
  EXPECT_EQ(Utf8Length("abc"), 3U);
  EXPECT_EQ(Utf8Length("\xD0\xBA\xD0\xBF\xD0\xBE"), 3U);  // "кпо"
  EXPECT_EQ(Utf8Length("\xF0\x9F\x92\xB3"), 1U);          // U+1F4B3, four bytes
}

TEST(Utf8, RefusesWhatIsNotUtf8) {
  EXPECT_FALSE(Utf8Length("\xFF"));
  EXPECT_FALSE(Utf8Length("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(Utf8Length("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(Utf8Length("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(Utf8Length("\xD0"));              // truncated
  EXPECT_FALSE(Utf8Length("\xD0x"));             // no continuation byte
}

TEST(Utf8, SequencesAreMeasuredWhereTheyStart) {
  const std::string_view text = "a\xD0\xBA\xFF";
  EXPECT_EQ(Utf8SequenceAt(text, 0), 1U);
  EXPECT_EQ(Utf8SequenceAt(text, 1), 2U);
  EXPECT_EQ(Utf8SequenceAt(text, 2), 0U);  // a continuation byte starts nothing
  EXPECT_EQ(Utf8SequenceAt(text, 3), 0U);
  EXPECT_EQ(Utf8SequenceAt(text, 4), 0U);  // past the end
}

TEST(Utf8, ValidUtf8KeepsValidTextAndReplacesEachBadByte) {
  EXPECT_EQ(ValidUtf8("/api/\xD0\xBA"), "/api/\xD0\xBA");
  EXPECT_EQ(ValidUtf8("/api/\xFF\xFE"), "/api/\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(ValidUtf8("\xC0\x80x"), "\xEF\xBF\xBD\xEF\xBF\xBDx");
  EXPECT_EQ(ValidUtf8("\xD0"), "\xEF\xBF\xBD");
  EXPECT_TRUE(Utf8Length(ValidUtf8("\xED\xA0\x80\xF4\x90\x80\x80 ok")));
}

}  // namespace
}  // namespace kpo::core
