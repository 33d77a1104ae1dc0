#include "core/config.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <stdexcept>

#include "core/ascii.hpp"

namespace kpo::core {
namespace {

std::string ReadEnv(std::string_view name, std::string_view fallback) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr || *value == '\0') return std::string(fallback);
  return value;
}

}  // namespace

std::string Config::String(std::string_view name, std::string_view fallback) {
  auto value = ReadEnv(name, fallback);
  effective_.emplace_back(name, MaskPasswords(value));
  return value;
}

std::string Config::Secret(std::string_view name, std::string_view fallback) {
  auto value = ReadEnv(name, fallback);
  effective_.emplace_back(name, value.empty() ? "" : "***");
  return value;
}

std::int64_t Config::Int(std::string_view name, std::int64_t fallback, std::int64_t min, std::int64_t max) {
  auto text = ReadEnv(name, std::to_string(fallback));
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    throw std::invalid_argument(fmt::format("{}={} is not a whole number in [{}, {}]", name, text, min, max));
  }
  effective_.emplace_back(name, text);
  return value;
}

bool Config::Bool(std::string_view name, bool fallback) {
  const auto text = ReadEnv(name, fallback ? "true" : "false");
  bool value = false;
  if (text == "true" || text == "1" || text == "yes" || text == "on") {
    value = true;
  } else if (text != "false" && text != "0" && text != "no" && text != "off") {
    throw std::invalid_argument(fmt::format("{}={} is not true or false", name, text));
  }
  effective_.emplace_back(name, value ? "true" : "false");
  return value;
}

std::chrono::milliseconds Config::Millis(std::string_view name, std::chrono::milliseconds fallback) {
  return Millis(name, fallback, std::chrono::milliseconds(0));
}

std::chrono::milliseconds Config::Millis(std::string_view name, std::chrono::milliseconds fallback,
                                         std::chrono::milliseconds min) {
  return std::chrono::milliseconds(Int(name, fallback.count(), min.count(), 24LL * 3600 * 1000));
}

void Config::LogEffective(std::string_view service) const {
  std::string line;
  for (const auto& [name, value] : effective_) {
    if (!line.empty()) line += ' ';
    line.append(name).append("=").append(value);
  }
  spdlog::info("{} effective config: {}", service, line);
}

namespace {

bool IsParameterStart(std::string_view text, std::size_t at) {
  if (at == 0) return true;
  const char before = text[at - 1];
  return before == ' ' || before == '\t' || before == '?' || before == '&' || before == ';';
}

// password=VALUE → password=*** wherever a parameter starts: libpq's key=value form (blanks around
// '=' allowed; a value quoted, 'a b', or with backslash escapes, a\ b) and a URL's query
// (?password=...&, where '&' ends it; in key=value text '&' is part of the password).
std::string MaskPasswordParameters(std::string_view text) {
  static constexpr std::string_view kKey = "password";
  const auto blank = [&](std::size_t at) {
    return at < text.size() && (text[at] == ' ' || text[at] == '\t');
  };
  std::string masked;
  std::size_t copied = 0;
  for (std::size_t at = 0; at + kKey.size() < text.size(); ++at) {
    if (!IsParameterStart(text, at)) continue;
    if (!EqualsIgnoringAsciiCase(text.substr(at, kKey.size()), kKey)) continue;
    const bool in_query = at > 0 && (text[at - 1] == '?' || text[at - 1] == '&');
    auto value = at + kKey.size();
    while (blank(value)) ++value;
    if (value >= text.size() || text[value] != '=') continue;
    ++value;
    while (blank(value)) ++value;
    auto end = value;
    const bool quoted = end < text.size() && text[end] == '\'';
    if (quoted) ++end;
    for (; end < text.size(); ++end) {
      if (text[end] == '\\') {
        ++end;  // an escaped character, whatever it is
      } else if (quoted ? text[end] == '\'' : (blank(end) || (in_query && text[end] == '&'))) {
        break;
      }
    }
    if (quoted) ++end;
    end = std::min(end, text.size());
    masked.append(text.substr(copied, value - copied)).append("***");
    copied = end;
    at = end == 0 ? 0 : end - 1;
  }
  return masked.append(text.substr(copied));
}

// user:pass@ → user:***@ in one URL: from the first ':' after "//" (or the item's start, for a
// mistyped scheme) to the last '@'. A password may hold '/' and a query may hold '@': this masks
// more than the password then, never less.
std::string MaskUserInfoPassword(std::string_view url) {
  const auto scheme = url.find("://");
  const auto colon = url.find(':', scheme == std::string_view::npos ? 0 : scheme + 3);
  const auto at = url.rfind('@');
  if (colon == std::string_view::npos || at == std::string_view::npos || at < colon) return std::string(url);
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

// Whether `text` (after blanks) starts with a URL scheme, "amqp://": where a list's next URL begins.
bool StartsWithScheme(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return false;
  text.remove_prefix(first);
  std::size_t i = 0;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) != 0 || text[i] == '+' ||
                             text[i] == '-' || text[i] == '.')) {
    ++i;
  }
  return i > 0 && text.substr(i).starts_with("://");
}

}  // namespace

std::string MaskPasswords(std::string_view text) {
  const std::string parameters_masked = MaskPasswordParameters(text);
  const std::string_view rest = parameters_masked;
  // A setting may list several URLs (RABBITMQ_URL: the nodes of a cluster): each is masked alone. A
  // comma starts the next one only where a scheme follows it; elsewhere it may be a password's.
  std::string masked;
  std::size_t begin = 0;
  for (std::size_t comma = rest.find(','); comma != std::string_view::npos;
       comma = rest.find(',', comma + 1)) {
    if (!StartsWithScheme(rest.substr(comma + 1))) continue;
    masked += MaskUserInfoPassword(rest.substr(begin, comma - begin)) + ',';
    begin = comma + 1;
  }
  return masked + MaskUserInfoPassword(rest.substr(begin));
}

std::pair<std::string, std::uint16_t> ParseListenAddress(std::string_view address) {
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos) throw std::invalid_argument("listen address needs host:port");
  unsigned port = 0;
  auto text = address.substr(colon + 1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc{} || end != text.data() + text.size() || port > 65535) {
    throw std::invalid_argument("bad port in listen address");
  }
  std::string host(address.substr(0, colon));
  if (host.empty()) host = "0.0.0.0";
  return {host, static_cast<std::uint16_t>(port)};
}

std::vector<std::string> SplitList(std::string_view text) {
  constexpr std::string_view kBlanks = " \t\r\n";
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    const auto item = text.substr(start, end - start);
    if (const auto first = item.find_first_not_of(kBlanks); first != std::string_view::npos) {
      out.emplace_back(item.substr(first, item.find_last_not_of(kBlanks) - first + 1));
    }
    start = end + 1;
  }
  return out;
}

}  // namespace kpo::core
