// A request target's query string and the paging cursor: kpo::http::ParseTarget (the server's
// split of path and query, with its fast path for plain paths) and what the list handlers of orders
// and payments read from it, QueryInt("limit") and QueryCursor("before"). A bad value must be a 422
// problem naming the parameter.
#include <algorithm>
#include <boost/url/parse.hpp>
#include <map>
#include <string>

#include "core/ids.hpp"
#include "fuzz_check.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"

namespace {

// The bounds the list handlers use (orders and payments handlers.hpp).
constexpr std::int64_t kDefaultPageSize = 20;
constexpr std::int64_t kMaxPageSize = 100;

template <typename Read>
void ExpectValueOr422(Read read, const std::string& name) {
  try {
    read();
  } catch (const kpo::http::ProblemError& problem) {
    KPO_FUZZ_CHECK(problem.Status() == 422);
    KPO_FUZZ_CHECK(problem.Errors().size() == 1 && problem.Errors().count(name) == 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto target = kpo::fuzz::AsText(data, size);
  auto parsed = kpo::http::ParseTarget(target);
  // The fast path (a plain path, taken as its own decoded form) agrees with the full URI parser,
  // except that an encoded '/' stays "%2F": the path keeps exactly the separators the target has,
  // and with its "%2F"s decoded (when no "%25" could have made one) it is the parser's path.
  const auto full = boost::urls::parse_origin_form(target);
  KPO_FUZZ_CHECK(parsed.has_value() == full.has_value());
  if (!parsed) return 0;
  const std::string encoded(full->encoded_path());
  KPO_FUZZ_CHECK(std::count(parsed->path.begin(), parsed->path.end(), '/') ==
                 std::count(encoded.begin(), encoded.end(), '/'));
  if (encoded.find("%25") == std::string::npos) {
    std::string slashes_decoded = parsed->path;
    for (auto at = slashes_decoded.find("%2F"); at != std::string::npos;
         at = slashes_decoded.find("%2F", at + 1)) {
      slashes_decoded.replace(at, 3, "/");
    }
    KPO_FUZZ_CHECK(slashes_decoded == std::string(full->path()));
  }
  // `repeated` names exactly the query names the parser finds more than once.
  std::map<std::string, int> seen;
  for (auto param : full->params()) ++seen[param.key];
  for (const auto& [name, count] : seen) KPO_FUZZ_CHECK(parsed->repeated.contains(name) == (count > 1));
  KPO_FUZZ_CHECK(parsed->repeated.size() <= seen.size());
  kpo::http::Request request;
  request.target = std::string(target);
  request.path = std::move(parsed->path);
  request.query = std::move(parsed->query);
  request.repeated_query = std::move(parsed->repeated);
  ExpectValueOr422(
      [&] {
        const auto limit = kpo::http::QueryInt(request, "limit", kDefaultPageSize, 1, kMaxPageSize);
        KPO_FUZZ_CHECK(limit >= 1 && limit <= kMaxPageSize);
        if (request.query.count("limit") == 0) KPO_FUZZ_CHECK(limit == kDefaultPageSize);
      },
      "limit");
  ExpectValueOr422(
      [&] {
        const auto cursor = kpo::http::QueryCursor(request, "before");
        // A cursor reaches SQL only as a canonical lower-case UUID.
        if (cursor) KPO_FUZZ_CHECK(kpo::core::NormalizeUuid(*cursor) == *cursor);
        KPO_FUZZ_CHECK(cursor.has_value() == (request.query.count("before") == 1));
      },
      "before");
  return 0;
}
