// db::Result: a statement's rows, read by column name (declared in connection.hpp).
#include <libpq-fe.h>

#include <charconv>
#include <utility>

#include "core/clock.hpp"
#include "db/connection.hpp"

namespace kpo::db {

Result::Result(pg_result* result) : result_(result) {}
Result::~Result() {
  if (result_ != nullptr) PQclear(result_);
}
Result::Result(Result&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

int Result::Rows() const { return PQntuples(result_); }

int Result::Column(std::string_view name) const {
  const int index = PQfnumber(result_, std::string(name).c_str());
  if (index < 0) throw DbError("no column " + std::string(name) + " in result");
  return index;
}

bool Result::IsNull(int row, std::string_view column) const {
  return PQgetisnull(result_, row, Column(column)) != 0;
}

std::string Result::Text(int row, std::string_view column) const {
  const int col = Column(column);
  return std::string(PQgetvalue(result_, row, col), static_cast<std::size_t>(PQgetlength(result_, row, col)));
}

std::optional<std::string> Result::OptionalText(int row, std::string_view column) const {
  if (IsNull(row, column)) return std::nullopt;
  return Text(row, column);
}

std::int64_t Result::Int(int row, std::string_view column) const {
  const auto text = Text(row, column);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    throw DbError("column " + std::string(column) + " is not an integer: " + text);
  }
  return value;
}

bool Result::Bool(int row, std::string_view column) const { return Text(row, column) == "t"; }

std::string Result::Rfc3339(int row, std::string_view column) const {
  // "2026-11-25 20:40:22.123456+00" → parsed and re-rendered with microseconds and 'Z'.
  auto text = Text(row, column);
  if (text.size() > 10) text[10] = 'T';
  if (text.size() > 3 && text[text.size() - 3] == '+') text += ":00";
  auto parsed = core::ParseRfc3339(text);
  if (!parsed) throw DbError("column " + std::string(column) + " is not a UTC timestamp: " + text);
  return core::FormatRfc3339(*parsed);
}

}  // namespace kpo::db
