#include "http/json_body.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <charconv>
#include <set>
#include <vector>

#include "core/ids.hpp"
#include "core/utf8.hpp"

namespace kpo::http {
namespace {

// A SAX pass that finds the first key repeated inside one object. boost::json::parse keeps the last
// of duplicate keys silently; a body with {"amount":1,"amount":1000} means two things at once, and
// what one reader (a proxy, a log, a WAF) sees would differ from what the service charges.
class DuplicateKeyFinder {
 public:
  // The names and the members below are what boost::json::basic_parser requires of a handler.
  // NOLINTBEGIN(readability-identifier-naming)
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  // NOLINTEND(readability-identifier-naming)

  std::optional<std::string> duplicate;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    keys_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code&) {
    keys_.pop_back();
    return true;
  }
  bool on_array_begin(boost::system::error_code&) { return true; }
  bool on_array_end(std::size_t, boost::system::error_code&) { return true; }
  bool on_key_part(std::string_view part, std::size_t, boost::system::error_code&) {
    key_.append(part);
    return true;
  }
  bool on_key(std::string_view part, std::size_t, boost::system::error_code&) {
    key_.append(part);
    if (!keys_.back().insert(key_).second && !duplicate) duplicate = key_;
    key_.clear();
    return true;
  }
  bool on_string_part(std::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_string(std::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_number_part(std::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t, std::string_view, boost::system::error_code&) { return true; }
  bool on_uint64(std::uint64_t, std::string_view, boost::system::error_code&) { return true; }
  bool on_double(double, std::string_view, boost::system::error_code&) { return true; }
  bool on_bool(bool, boost::system::error_code&) { return true; }
  bool on_null(boost::system::error_code&) { return true; }
  bool on_comment_part(std::string_view, boost::system::error_code&) { return true; }
  bool on_comment(std::string_view, boost::system::error_code&) { return true; }

 private:
  std::vector<std::set<std::string, std::less<>>> keys_;
  std::string key_;
};

// The first key that appears twice in one object of `body`, if any. Malformed JSON yields nullopt:
// the real parse reports it.
std::optional<std::string> FirstDuplicateKey(std::string_view body,
                                             const boost::json::parse_options& options) {
  boost::json::basic_parser<DuplicateKeyFinder> parser(options);
  boost::system::error_code ec;
  parser.write_some(false, body.data(), body.size(), ec);
  return parser.handler().duplicate;
}

}  // namespace

JsonBody::JsonBody(std::string_view body, std::initializer_list<std::string_view> allowed,
                   bool empty_is_object) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos && empty_is_object) return;
  boost::json::parse_options options;
  // Invalid UTF-8 inside a string is reported against its field (below), not as malformed JSON.
  options.allow_invalid_utf8 = true;
  options.max_depth = 32;
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec, {}, options);
  if (ec)
    throw ProblemError(422, "The body is not valid JSON: " + ec.message(), {{"body", "malformed JSON"}});
  if (!value.is_object())
    throw ProblemError(422, "The body must be a JSON object", {{"body", "must be an object"}});
  // A field name that is not valid UTF-8 cannot be named in the problem+json (which must stay valid
  // JSON, found by fuzz/json_body_fuzz): such a mistake is the body's.
  if (auto key = FirstDuplicateKey(body, options)) {
    throw ProblemError(422, "The body names a field more than once",
                       {{core::Utf8Length(*key) ? *key : "body", "appears more than once"}});
  }
  object_ = std::move(value.as_object());
  for (const auto& entry : object_) {
    bool known = false;
    for (auto name : allowed) known = known || entry.key() == name;
    if (known) continue;
    if (core::Utf8Length(entry.key())) {
      errors_.emplace(std::string(entry.key()), "unknown field");
    } else {
      errors_.emplace("body", "has a field name that is not valid UTF-8");
    }
  }
}

std::optional<std::int64_t> JsonBody::Int(std::string_view field, std::int64_t min, std::int64_t max,
                                          bool required) {
  const auto* value = object_.if_contains(field);
  if (value == nullptr || value->is_null()) {
    if (required) errors_.emplace(field, "is required");
    return std::nullopt;
  }
  const auto range = "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (value->is_int64()) {
    const auto n = value->get_int64();
    if (n < min || n > max) {
      errors_.emplace(field, range);
      return std::nullopt;
    }
    return n;
  }
  // uint64 beyond int64 and doubles (1.5, 1e3) are not whole amounts of minor units.
  errors_.emplace(field, value->is_number() ? range : "must be an integer");
  return std::nullopt;
}

std::optional<std::string> JsonBody::String(std::string_view field, std::size_t min_chars,
                                            std::size_t max_chars, bool required) {
  const auto* value = object_.if_contains(field);
  if (value == nullptr || value->is_null()) {
    if (required) errors_.emplace(field, "is required");
    return std::nullopt;
  }
  if (!value->is_string()) {
    errors_.emplace(field, "must be a string");
    return std::nullopt;
  }
  std::string_view text = value->get_string();
  auto length = core::Utf8Length(text);
  if (!length) {
    errors_.emplace(field, "must be valid UTF-8");
    return std::nullopt;
  }
  if (text.find('\0') != std::string_view::npos) {
    errors_.emplace(field, "must not contain NUL characters");
    return std::nullopt;
  }
  if (*length < min_chars || *length > max_chars) {
    errors_.emplace(field, "must be " + std::to_string(min_chars) + " to " + std::to_string(max_chars) +
                               " characters long");
    return std::nullopt;
  }
  return std::string(text);
}

namespace {

// An answer names at most this many fields, each by at most this many bytes of its name: a body of
// thousands of unknown fields got an answer four and a half times its own size.
constexpr std::size_t kMaxReportedFields = 10;
constexpr std::size_t kMaxReportedName = 64;

std::string Shortened(const std::string& name) {
  if (name.size() <= kMaxReportedName) return name;
  auto cut = kMaxReportedName;
  // Not inside a character: the answer stays valid UTF-8.
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0U) == 0x80U) --cut;
  return name.substr(0, cut) + "...";
}

}  // namespace

void JsonBody::Finish() const {
  if (errors_.empty()) return;
  FieldErrors reported;
  std::string detail = "Invalid fields:";
  for (const auto& [field, message] : errors_) {
    if (reported.size() == kMaxReportedFields) break;
    auto name = Shortened(field);
    detail.append(" ").append(name).append(" ").append(message).append(";");
    reported.emplace(std::move(name), message);
  }
  detail.pop_back();
  if (errors_.size() > reported.size()) {
    detail += " (and " + std::to_string(errors_.size() - reported.size()) + " more)";
  }
  throw ProblemError(422, detail, reported);
}

namespace {

// The value of query parameter `name`, if given. Given more than once, it is refused (422), as a
// repeated JSON key is: which one counts would be a guess.
const std::string* QueryValue(const Request& request, const std::string& name) {
  auto it = request.query.find(name);
  if (it == request.query.end()) return nullptr;
  if (request.repeated_query.contains(name)) {
    const std::string message = "must be given at most once";
    throw ProblemError(422, "Invalid query parameter " + name + ": " + message, {{name, message}});
  }
  return &it->second;
}

}  // namespace

std::int64_t QueryInt(const Request& request, const std::string& name, std::int64_t fallback,
                      std::int64_t min, std::int64_t max) {
  const std::string* given = QueryValue(request, name);
  if (given == nullptr) return fallback;
  std::int64_t value = 0;
  const auto& text = *given;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    const auto message = "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
    throw ProblemError(422, "Invalid query parameter " + name + ": " + message, {{name, message}});
  }
  return value;
}

PageRequest ReadPageRequest(const Request& request) {
  return {.limit = static_cast<int>(
              QueryInt(request, "limit", PageRequest::kDefaultLimit, 1, PageRequest::kMaxLimit)),
          .before = QueryCursor(request, "before")};
}

std::optional<std::string> QueryCursor(const Request& request, const std::string& name) {
  const std::string* given = QueryValue(request, name);
  if (given == nullptr) return std::nullopt;
  auto cursor = core::NormalizeUuid(*given);
  if (!cursor) {
    throw ProblemError(422, "Invalid query parameter " + name + ": not a cursor returned as next",
                       {{name, "must be a cursor returned as next"}});
  }
  return cursor;
}

}  // namespace kpo::http
