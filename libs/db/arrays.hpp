#pragma once
// PostgreSQL array literals for set-based statements: a batch travels as one parameter per column
// ($1::uuid[], $2::text[], ...) and is expanded with unnest(), so a batch of N rows costs one
// statement instead of N.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kpo::db {

// Builds the text form of a one-dimensional array, element by element. Every element is quoted
// and escaped, so any text (commas, quotes, backslashes, braces, "NULL") survives unchanged;
// nullopt is SQL NULL.
class ArrayParam {
 public:
  void Add(std::string_view element);
  void Add(const std::optional<std::string>& element);
  void Add(const std::string& element) { Add(std::string_view(element)); }
  void Add(const char* element) { Add(std::string_view(element)); }
  void Add(std::int64_t element) { Add(std::string_view(std::to_string(element))); }
  // The literal, e.g. {"a","b",NULL}.
  std::string Text() const { return text_ + '}'; }

 private:
  void Separate();

  std::string text_ = "{";
  std::size_t size_ = 0;
};

}  // namespace kpo::db
