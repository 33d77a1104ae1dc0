#include "http/message.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>

#include "core/ascii.hpp"

namespace kpo::http {
namespace {

using core::EqualsIgnoringAsciiCase;

}  // namespace

std::optional<std::string_view> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoringAsciiCase(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

void Response::SetHeader(std::string name, std::string value) {
  for (auto& [key, existing] : headers) {
    if (EqualsIgnoringAsciiCase(key, name)) {
      existing = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

Response JsonResponse(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  response.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  return response;
}

namespace {

// RFC 3986 pchar without percent-encoding, and '/'.
constexpr bool IsPlainPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-._~!$&'()*+,;=:@/").find(c) != std::string_view::npos;
}

// The path with its percent-encoding decoded, except an encoded '/' (%2F): that is data within a
// segment, not a separator, so "/api%2Forders" names no route instead of being another spelling of
// "/api/orders" that a path rule in front of the server would not recognise. `encoded` is valid.
std::string DecodePath(std::string_view encoded) {
  std::string path;
  path.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    unsigned char decoded = 0;
    if (encoded[i] != '%' || i + 2 >= encoded.size() ||
        std::from_chars(encoded.data() + i + 1, encoded.data() + i + 3, decoded, 16).ec != std::errc()) {
      path += encoded[i];
    } else if (decoded == '/') {
      path += "%2F";
      i += 2;
    } else {
      path += static_cast<char>(decoded);
      i += 2;
    }
  }
  return path;
}

}  // namespace

std::optional<Target> ParseTarget(std::string_view target) {
  // Most targets are a bare path with nothing to decode: it is then its own decoded form.
  if (!target.empty() && target.front() == '/' &&
      std::all_of(target.begin(), target.end(), IsPlainPathChar)) {
    return Target{.path = std::string(target), .query = {}, .repeated = {}};
  }
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return std::nullopt;
  Target split{.path = DecodePath(parsed->encoded_path()), .query = {}, .repeated = {}};
  for (auto param : parsed->params()) {
    auto [it, first] = split.query.insert_or_assign(param.key, param.has_value ? param.value : "");
    if (!first) split.repeated.insert(it->first);
  }
  return split;
}

std::optional<std::string> OriginFormOf(std::string_view target) {
  if (target.empty() || target.front() == '/') return std::nullopt;  // origin form: nearly every request
  auto parsed = boost::urls::parse_absolute_uri(target);
  if (!parsed || (parsed->scheme_id() != boost::urls::scheme::http &&
                  parsed->scheme_id() != boost::urls::scheme::https)) {
    return std::nullopt;
  }
  const std::string_view path_and_query = parsed->encoded_target();
  std::string origin;
  if (path_and_query.empty() || path_and_query.front() != '/') origin = "/";
  origin.append(path_and_query);
  return origin;
}

bool IsValidHost(std::string_view host) {
  auto name = host;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    // An IP literal: hex digits, ':' and '.' between the brackets (RFC 3986 §3.2.2).
    const auto close = host.find(']');
    if (close == std::string_view::npos) return false;
    name = host.substr(1, close - 1);
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
        })) {
      return false;
    }
    port = host.substr(close + 1);
    if (!port.empty() && port.front() != ':') return false;
  } else {
    // A registered name or IPv4 address: unreserved, sub-delims and percent-encoded characters.
    if (const auto colon = host.find(':'); colon != std::string_view::npos) {
      name = host.substr(0, colon);
      port = host.substr(colon);
    }
    const bool valid_name = std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
             std::string_view("-._~!$&'()*+,;=%").find(c) != std::string_view::npos;
    });
    if (!valid_name) return false;
  }
  if (!port.empty()) port.remove_prefix(1);  // the ':'; the port itself may be empty (RFC 3986)
  return std::all_of(port.begin(), port.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

bool MethodMayCarryBody(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

void AppendHeaderLine(std::string& head, std::string_view name, std::string_view value) {
  head.append(name).append(": ").append(value).append("\r\n");
}

namespace {

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  return text;
}

}  // namespace

std::string MediaType(std::string_view content_type) {
  return core::AsciiLowered(Trimmed(content_type.substr(0, content_type.find(';'))));
}

bool IsUtf8Json(std::string_view content_type) {
  if (MediaType(content_type) != "application/json") return false;
  auto rest = content_type.substr(std::min(content_type.find(';'), content_type.size()));
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the ';'
    const auto end = std::min(rest.find(';'), rest.size());
    const auto parameter = rest.substr(0, end);
    rest.remove_prefix(end);
    const auto equals = parameter.find('=');
    // A charset named without a value (RFC 9110 §5.6.6 has none) says the body is in some charset
    // but not which: not one to read as UTF-8.
    if (equals == std::string_view::npos && core::EqualsIgnoringAsciiCase(Trimmed(parameter), "charset"))
      return false;
    if (equals == std::string_view::npos ||
        !core::EqualsIgnoringAsciiCase(Trimmed(parameter.substr(0, equals)), "charset"))
      continue;
    auto value = Trimmed(parameter.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (!core::EqualsIgnoringAsciiCase(value, "utf-8") && !core::EqualsIgnoringAsciiCase(value, "utf8"))
      return false;
  }
  return true;
}

}  // namespace kpo::http
