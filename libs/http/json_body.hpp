#pragma once
// Strict reading of JSON request bodies into typed fields, collecting one message per field so
// that a 422 problem can list every mistake at once.
#include <boost/json/object.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/problem.hpp"

namespace kpo::http {

class JsonBody {
 public:
  // Parses `body` as a JSON object whose keys must all be in `allowed`. An empty body counts as
  // `{}` when `empty_is_object`. Throws ProblemError(422) for malformed JSON or a non-object.
  // Unknown fields are recorded as field errors (reported by Finish).
  JsonBody(std::string_view body, std::initializer_list<std::string_view> allowed,
           bool empty_is_object = false);

  // An integer field. Records an error for a missing (when required), fractional, non-numeric or
  // out-of-range value and returns nullopt then.
  std::optional<std::int64_t> Int(std::string_view field, std::int64_t min, std::int64_t max,
                                  bool required = true);

  // A string field of valid UTF-8 without NUL, between min_chars and max_chars code points.
  std::optional<std::string> String(std::string_view field, std::size_t min_chars, std::size_t max_chars,
                                    bool required = true);

  void AddError(std::string field, std::string message) {
    errors_.emplace(std::move(field), std::move(message));
  }
  const FieldErrors& Errors() const { return errors_; }

  // Throws ProblemError(422, errors) when any error was recorded.
  void Finish() const;

 private:
  boost::json::object object_;
  FieldErrors errors_;
};

// Parses a query parameter as an integer in [min, max]; throws ProblemError(422) naming it, also
// when it is given more than once.
std::int64_t QueryInt(const Request& request, const std::string& name, std::int64_t fallback,
                      std::int64_t min, std::int64_t max);

// The optional paging cursor `name` (a UUID returned as "next"); throws ProblemError(422) when
// present but malformed or given more than once.
std::optional<std::string> QueryCursor(const Request& request, const std::string& name);

// The page a list request (`?limit=&before=`, newest first) asks for: `limit` 1–100 (default 20)
// and the cursor `before`, the id of the previous page's last item. Malformed → ProblemError(422).
struct PageRequest {
  static constexpr int kDefaultLimit = 20;
  static constexpr int kMaxLimit = 100;
  int limit = kDefaultLimit;
  std::optional<std::string> before;
  // The rows to fetch: one more than the page tells whether another page follows, without a count.
  int FetchLimit() const { return limit + 1; }
};
PageRequest ReadPageRequest(const Request& request);

// Cuts `items`, fetched with page.FetchLimit(), to the page and returns the page's `next` cursor:
// the id of its last item when more followed, nullopt on the last page.
template <typename Item>
std::optional<std::string> TrimToPage(std::vector<Item>& items, const PageRequest& page) {
  if (items.size() <= static_cast<std::size_t>(page.limit)) return std::nullopt;
  items.erase(items.begin() + page.limit, items.end());
  return items.back().id;
}

}  // namespace kpo::http
