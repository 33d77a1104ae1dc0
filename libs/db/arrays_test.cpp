#include "db/arrays.hpp"

#include <gtest/gtest.h>

namespace kpo::db {
namespace {

TEST(ArrayParam, AnEmptyArray) { EXPECT_EQ(ArrayParam().Text(), "{}"); }

TEST(ArrayParam, QuotesEveryElementAndEscapesQuotesAndBackslashes) {
  ArrayParam array;
  array.Add(std::string_view("plain"));
  array.Add(std::string_view(R"(a "quoted", {braced} \ text)"));
  array.Add(std::string_view("NULL"));
  array.Add(std::optional<std::string>());
  array.Add(std::int64_t{42});
  EXPECT_EQ(array.Text(), R"({"plain","a \"quoted\", {braced} \\ text","NULL",NULL,"42"})");
}

}  // namespace
}  // namespace kpo::db
