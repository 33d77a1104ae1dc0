#include "db/arrays.hpp"

namespace kpo::db {

void ArrayParam::Separate() {
  if (size_++ > 0) text_ += ',';
}

void ArrayParam::Add(std::string_view element) {
  Separate();
  text_ += '"';
  for (char c : element) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

void ArrayParam::Add(const std::optional<std::string>& element) {
  if (element) {
    Add(std::string_view(*element));
    return;
  }
  Separate();
  text_ += "NULL";
}

}  // namespace kpo::db
